// Reads a job's event rows in order, from after a given event id (the queue dispatch follows a job through these).
import type { Store } from "../store.js";

export interface JobEventRecord {
  id: number;
  action: string;
  at: string;
  actor: string | null;
  payload: Record<string, unknown>;
}

/** Safe under concurrency: a single read; event rows are append-only and ids only grow per commit order's writer. */
export async function listJobEvents(
  store: Store,
  jobRowId: number,
  options: { afterId?: number; limit?: number } = {},
): Promise<JobEventRecord[]> {
  const rows = await store.db
    .selectFrom("events")
    .select(["id", "action", "at", "actor", "payload"])
    .where("resource_type", "=", "job")
    .where("resource_id", "=", String(jobRowId))
    .where("id", ">", options.afterId ?? 0)
    .orderBy("id")
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    action: row.action,
    at: row.at,
    actor: row.actor,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  }));
}
