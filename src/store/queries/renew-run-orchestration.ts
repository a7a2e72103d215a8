// The orchestrator's heartbeat: extends the lease of every open run a server instance orchestrates, in one UPDATE.
import { sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";

export interface RenewedRun {
  runId: number;
  /** A cancel was requested (possibly through another server): the orchestrator cancels its engine. */
  isCancelRequested: boolean;
}

/**
 * Safe under concurrency: matches only open runs still recorded as this instance's, so a run another server adopted
 * after this lease lapsed is not taken back; the caller sees it missing from the result.
 */
export async function renewRunOrchestration(
  store: Store,
  request: { orchestrator: string; leaseMs: number },
): Promise<RenewedRun[]> {
  const rows = await store.db
    .updateTable("runs")
    .set({ orchestrator_lease_expires_at: sqlNowPlusMs(store.dialect, request.leaseMs) })
    .where("orchestrator", "=", request.orchestrator)
    .where("status", "<>", "completed")
    .returning(["id", "cancel_requested_at"])
    .execute();
  return rows.map((row) => ({ runId: row.id, isCancelRequested: row.cancel_requested_at !== null }));
}
