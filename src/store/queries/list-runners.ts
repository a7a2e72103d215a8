// Lists registered runners with whether they are online (seen within a window, by the database's clock) and the job
// each one holds; keyset-paginated by id like listRuns.
import { sql } from "kysely";
import { sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";

/** A runner that has not claimed or heartbeated for this long is offline: its long-poll claim repeats every 25 s. */
export const RUNNER_ONLINE_WINDOW_MS = 90_000;

export interface RunnerStatus {
  /** The runner's id as jobs.lease_owner records it. */
  id: string;
  name: string;
  /** Lower-cased, sorted. */
  labels: string[];
  isEphemeral: boolean;
  isOnline: boolean;
  lastSeenAt: string | null;
  /** The job row it holds a lease on; null when idle. */
  busyJobId: number | null;
  createdAt: string;
}

export interface ListRunnersFilter {
  isOnline?: boolean;
  /** The `nextCursor` of the previous page. */
  cursor?: number;
  /** Page size, 1 to 100 (default 25); `Infinity` reads every match (the wait explanations need all). */
  limit?: number;
}

/** Safe under concurrency: a single read; a claim racing it shows the runner idle or busy, either being true. */
export async function listRunners(
  store: Store,
  filter: ListRunnersFilter = {},
): Promise<{ runners: RunnerStatus[]; nextCursor?: number }> {
  const limit = filter.limit === Infinity ? undefined : Math.min(100, Math.max(1, filter.limit ?? 25));
  const onlineSince = sqlNowPlusMs(store.dialect, -RUNNER_ONLINE_WINDOW_MS);
  const isOnline = sql<boolean>`(r.last_seen_at is not null and r.last_seen_at > ${onlineSince})`;
  let query = store.db
    .selectFrom("runners as r")
    .leftJoin("jobs as j", (join) =>
      join.on("j.status", "=", "in_progress").on(sql`j.lease_owner`, "=", sql`cast(r.id as text)`),
    )
    .select(["r.id", "r.name", "r.labels", "r.ephemeral", "r.last_seen_at", "r.created_at"])
    .select((eb) => [eb.fn.min("j.id").as("busy_job_id"), isOnline.as("is_online")])
    .groupBy(["r.id", "r.name", "r.labels", "r.ephemeral", "r.last_seen_at", "r.created_at"]);
  if (filter.isOnline !== undefined)
    query = query.where(filter.isOnline ? isOnline : sql<boolean>`not ${isOnline}`);
  if (filter.cursor !== undefined) query = query.where("r.id", "<", filter.cursor);
  query = query.orderBy("r.id", "desc");
  const rows = await (limit === undefined ? query : query.limit(limit + 1)).execute();
  const runners = rows.slice(0, limit).map((row) => ({
    id: String(row.id),
    name: row.name,
    labels: JSON.parse(row.labels) as string[],
    isEphemeral: row.ephemeral === 1,
    isOnline: Boolean(row.is_online),
    lastSeenAt: row.last_seen_at,
    busyJobId: row.busy_job_id === null ? null : Number(row.busy_job_id),
    createdAt: row.created_at,
  }));
  return limit !== undefined && rows.length > limit
    ? { runners, nextCursor: Number(runners[runners.length - 1]!.id) }
    : { runners };
}
