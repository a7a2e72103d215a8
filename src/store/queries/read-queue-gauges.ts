// The control plane's state as counts, for the metrics endpoint: read from the tables, so every server replica on one
// database reports the same values.
import type {
  Conclusion,
  DeliveryStatus,
  JobStatus,
  JobWaitReason,
  RunStatus,
} from "../../contracts/index.js";
import { sqlNow } from "../clock.js";
import type { Store } from "../store.js";

/** Counts by word; a word with no rows is absent. */
type Counts<Word extends string> = Partial<Record<Word, number>>;

export interface QueueGauges {
  /** Open jobs (not completed) by status. */
  jobs: Counts<JobStatus>;
  /** Jobs the engine holds back, by why (`approval` is waiting for a reviewer or a wait timer). */
  jobWaits: Counts<JobWaitReason>;
  /** How long the oldest queued job has waited for a runner; null when none is queued. */
  oldestQueuedJobAgeSeconds: number | null;
  /** Completed jobs by conclusion, since the store was created: a counter. */
  jobsCompleted: Counts<Conclusion>;
  /** Open runs by status. */
  runs: Counts<RunStatus>;
  /** Webhook deliveries by intake status (`handled` counts every handled one: a counter). */
  deliveries: Counts<DeliveryStatus>;
}

/** Safe under concurrency: independent reads; each count is exact at its own instant. */
export async function readQueueGauges(store: Store): Promise<QueueGauges> {
  const [jobs, jobWaits, oldest, jobsCompleted, runs, deliveries] = await Promise.all([
    store.db
      .selectFrom("jobs")
      .select((eb) => ["status", eb.fn.countAll<number>().as("count")])
      .where("status", "<>", "completed")
      .groupBy("status")
      .execute(),
    store.db
      .selectFrom("job_waits")
      .select((eb) => ["reason", eb.fn.countAll<number>().as("count")])
      .groupBy("reason")
      .execute(),
    store.db
      .selectFrom("jobs")
      .select((eb) => [eb.fn.min("created_at").as("created_at"), sqlNow(store.dialect).as("now")])
      .where("status", "=", "queued")
      .executeTakeFirst(),
    store.db
      .selectFrom("jobs")
      .select((eb) => ["conclusion", eb.fn.countAll<number>().as("count")])
      .where("status", "=", "completed")
      .groupBy("conclusion")
      .execute(),
    store.db
      .selectFrom("runs")
      .select((eb) => ["status", eb.fn.countAll<number>().as("count")])
      .where("status", "<>", "completed")
      .groupBy("status")
      .execute(),
    store.db
      .selectFrom("webhook_deliveries")
      .select((eb) => ["status", eb.fn.countAll<number>().as("count")])
      .groupBy("status")
      .execute(),
  ]);
  const oldestMs = oldest?.created_at ? Date.parse(oldest.now) - Date.parse(oldest.created_at) : undefined;
  return {
    jobs: countsOf(jobs, (row) => row.status),
    jobWaits: countsOf(jobWaits, (row) => row.reason),
    oldestQueuedJobAgeSeconds: oldestMs === undefined ? null : Math.max(0, oldestMs / 1000),
    jobsCompleted: countsOf(jobsCompleted, (row) => row.conclusion),
    runs: countsOf(runs, (row) => row.status),
    deliveries: countsOf(deliveries, (row) => row.status),
  };
}

function countsOf<Row extends { count: unknown }, Word extends string>(
  rows: readonly Row[],
  wordOf: (row: Row) => Word | null,
): Counts<Word> {
  const counts: Counts<Word> = {};
  for (const row of rows) {
    const word = wordOf(row);
    if (word !== null) counts[word] = Number(row.count);
  }
  return counts;
}
