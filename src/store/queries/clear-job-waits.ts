// Removes the wait records of jobs that were queued, started or finished (or of a whole finished run attempt).
import type { Store } from "../store.js";

/** Safe under concurrency: one delete of the attempt's own rows; absent rows are no error. */
export async function clearJobWaits(
  store: Store,
  target: { runId: number; attempt: number; keys?: readonly string[] },
): Promise<void> {
  if (target.keys?.length === 0) return;
  let query = store.db
    .deleteFrom("job_waits")
    .where("run_id", "=", target.runId)
    .where("attempt", "=", target.attempt);
  if (target.keys) query = query.where("job_key", "in", [...target.keys]);
  await query.execute();
}
