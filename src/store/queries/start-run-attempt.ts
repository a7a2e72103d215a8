// Re-runs a completed run: the same run row moves to its next attempt (jobs are keyed by attempt), as GitHub numbers re-runs.
import { sql } from "kysely";
import { toRun, type Run } from "../records.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/**
 * Safe under concurrency: one UPDATE guarded by `status = 'completed'`, so of two racing re-run requests exactly one
 * starts an attempt; the `run:rerun-requested` event commits with it. This is the one way out of `completed`.
 */
export async function startRunAttempt(store: Store, runId: number, actor?: string | null): Promise<Run> {
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .updateTable("runs")
      .set({
        attempt: sql<number>`attempt + 1`,
        status: "queued",
        conclusion: null,
        started_at: null,
        finished_at: null,
        message: null,
      })
      .where("id", "=", runId)
      .where("status", "=", "completed")
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const found = await trx.selectFrom("runs").select("status").where("id", "=", runId).executeTakeFirst();
      throw found
        ? new StoreError(
            "STORE_ILLEGAL_TRANSITION",
            `run ${runId} is ${found.status}; only a completed run can be re-run`,
          )
        : new StoreError("STORE_NOT_FOUND", `run ${runId} does not exist`);
    }
    const run = toRun(row);
    await recordEvent(trx, {
      action: "run:rerun-requested",
      resourceType: "run",
      resourceId: run.id,
      actor: actor ?? null,
      payload: { runId: run.id, attempt: run.attempt },
    });
    return run;
  });
}
