// A server instance takes on orchestrating one run it is about to start: the run's orchestrator and lease are set.
import { sql } from "kysely";
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";

export interface RunOrchestrationClaim {
  runId: number;
  /** The claiming server's instance id. */
  orchestrator: string;
  leaseMs: number;
  /** Jobs this attempt keeps from the previous one, stored so that whoever resumes the run keeps them too. */
  reusedJobs?: Record<string, { outputs: Record<string, string> }>;
}

/**
 * Safe under concurrency: one UPDATE that matches only an open run with no live orchestrator other than the caller,
 * so when the orchestration sweep of another server adopted the run first, this returns undefined and the caller
 * must not start it. Otherwise returns whether a cancel was already requested.
 */
export async function claimRunOrchestration(
  store: Store,
  claim: RunOrchestrationClaim,
): Promise<{ isCancelRequested: boolean } | undefined> {
  const row = await store.db
    .updateTable("runs")
    .set({
      orchestrator: claim.orchestrator,
      orchestrator_lease_expires_at: sqlNowPlusMs(store.dialect, claim.leaseMs),
      reused_jobs: claim.reusedJobs ? JSON.stringify(claim.reusedJobs) : null,
    })
    .where("id", "=", claim.runId)
    .where("status", "<>", "completed")
    .where((eb) =>
      eb.or([
        eb("orchestrator", "is", null),
        eb("orchestrator", "=", claim.orchestrator),
        eb("orchestrator_lease_expires_at", "<", sqlNow(store.dialect)),
      ]),
    )
    .returning(sql<string | null>`cancel_requested_at`.as("cancel_requested_at"))
    .executeTakeFirst();
  return row && { isCancelRequested: row.cancel_requested_at !== null };
}
