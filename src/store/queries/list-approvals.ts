// Reads the decisions taken on a run's gates, oldest first.
import { toApproval, type Approval } from "../environment-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listApprovals(
  store: Store,
  target: { runId: number; attempt?: number; jobKey?: string },
): Promise<Approval[]> {
  let query = store.db.selectFrom("approvals").selectAll().where("run_id", "=", target.runId);
  if (target.attempt !== undefined) query = query.where("attempt", "=", target.attempt);
  if (target.jobKey !== undefined) query = query.where("job_key", "=", target.jobKey);
  const rows = await query.orderBy("id").execute();
  return rows.map(toApproval);
}
