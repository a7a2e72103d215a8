// The orchestration sweep: open runs whose orchestrator's lease lapsed (its server died) or that never had one are
// taken over by the calling server instance, which resumes them.
import { sql } from "kysely";
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import { toRun, type Run } from "../records.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface AdoptedRun {
  run: Run;
  /** The jobs the attempt keeps from the previous one, as its first orchestrator claimed it. */
  reusedJobs: Record<string, { outputs: Record<string, string> }> | undefined;
  isCancelRequested: boolean;
  /** The orchestrator whose lease lapsed; null when the run never had one. */
  previousOrchestrator: string | null;
}

/**
 * Safe under concurrency: one UPDATE whose WHERE re-checks "open and no live lease" on each row (PostgreSQL re-reads
 * a row changed by a concurrent writer before updating it; SQLite holds the write lock), so of several servers
 * sweeping at once exactly one adopts each run. The run:adopted events commit with it.
 */
export async function adoptOrphanedRuns(
  store: Store,
  request: { orchestrator: string; leaseMs: number; limit?: number },
): Promise<AdoptedRun[]> {
  return runInTransaction(store, async (trx) => {
    const now = sqlNow(store.dialect);
    const isOrphaned = sql<boolean>`status <> 'completed'
      and (orchestrator_lease_expires_at is null or orchestrator_lease_expires_at < ${now})`;
    // PostgreSQL: locked rows are another sweeper's, skipped rather than waited for.
    const query = trx
      .selectFrom("runs")
      .select(["id", "orchestrator"])
      .where(isOrphaned)
      .orderBy("id")
      .limit(request.limit ?? 50);
    const candidates = await (
      store.dialect === "postgres" ? query.forUpdate().skipLocked() : query
    ).execute();
    if (candidates.length === 0) return [];
    const rows = await trx
      .updateTable("runs")
      .set({
        orchestrator: request.orchestrator,
        orchestrator_lease_expires_at: sqlNowPlusMs(store.dialect, request.leaseMs),
      })
      .where(
        "id",
        "in",
        candidates.map((row) => row.id),
      )
      .where(isOrphaned)
      .returningAll()
      .execute();
    const previousOf = new Map(candidates.map((row) => [row.id, row.orchestrator]));
    const adopted: AdoptedRun[] = [];
    for (const row of rows) {
      const previousOrchestrator = previousOf.get(row.id) ?? null;
      await recordEvent(trx, {
        action: "run:adopted",
        resourceType: "run",
        resourceId: row.id,
        actor: "hangar",
        payload: {
          runId: row.id,
          attempt: row.attempt,
          orchestrator: request.orchestrator,
          previousOrchestrator,
        },
      });
      adopted.push({
        run: toRun(row),
        reusedJobs:
          row.reused_jobs === null ? undefined : (JSON.parse(row.reused_jobs) as AdoptedRun["reusedJobs"]),
        isCancelRequested: row.cancel_requested_at !== null,
        previousOrchestrator,
      });
    }
    return adopted;
  });
}
