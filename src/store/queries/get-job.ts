// Reads one job row with what the queue added to it: its JobRequest and whether a cancel was requested.
import type { Selectable } from "kysely";
import { toJob, type Job } from "../records.js";
import type { JobsTable } from "../schema.js";
import type { Store } from "../store.js";

export interface QueuedJob extends Job {
  /** The runner JobRequest (parsed JSON); null for jobs that never went through the queue. */
  request: unknown;
  cancelRequestedAt: string | null;
}

export function toQueuedJob(row: Selectable<JobsTable>): QueuedJob {
  return {
    ...toJob(row),
    request: row.request === null ? null : (JSON.parse(row.request) as unknown),
    cancelRequestedAt: row.cancel_requested_at,
  };
}

/** Safe under concurrency: a single read. */
export async function getJob(store: Store, jobRowId: number): Promise<QueuedJob | undefined> {
  const row = await store.db.selectFrom("jobs").selectAll().where("id", "=", jobRowId).executeTakeFirst();
  return row && toQueuedJob(row);
}
