// The one writer of runs.status after insert: a compare-and-set against RUN_TRANSITIONS plus its event row.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { sqlNow } from "../clock.js";
import { toRun, type Run } from "../records.js";
import type { Database } from "../schema.js";
import type { Conclusion, RunStatus } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { checkTransition, listSourcesOf, RUN_STATUS_EVENTS, RUN_TRANSITIONS } from "../transitions.js";
import { recordEvent } from "./record-event.js";
import { releaseRunSlotsInTransaction } from "./release-concurrency-slot.js";

export interface RunChange {
  to: RunStatus;
  /** Required when `to` is completed. */
  conclusion?: Conclusion;
  actor?: string | null;
  traceId?: string | null;
  /** With `completed`: why the run ended so when its jobs do not say it (kept on the row and in the event). */
  message?: string;
  details?: Record<string, unknown>;
}

/**
 * Safe under concurrency: one UPDATE whose WHERE re-checks the allowed from-statuses, so of two racing transitions
 * exactly one applies; the event row commits or rolls back with it.
 */
export async function transitionRun(store: Store, runId: number, change: RunChange): Promise<Run> {
  return runInTransaction(store, (trx) => transitionRunInTransaction(store, trx, runId, change));
}

/** transitionRun inside the caller's transaction. */
export async function transitionRunInTransaction(
  store: Store,
  trx: Kysely<Database>,
  runId: number,
  change: RunChange,
): Promise<Run> {
  if (change.to === "completed" && !change.conclusion) {
    throw new StoreError("STORE_INVALID_ARGUMENT", "a completed run needs a conclusion");
  }
  // A completed run holds no concurrency group. Slots first: the lock order acquireConcurrencySlot takes.
  if (change.to === "completed") await releaseRunSlotsInTransaction(store, trx, runId);
  const now = sqlNow(store.dialect);
  const fields =
    change.to === "in_progress"
      ? { started_at: sql<string>`coalesce(started_at, ${now})` }
      : change.to === "completed"
        ? // A completed run has no orchestrator and nothing to cancel; a re-run's attempt starts clean.
          {
            conclusion: change.conclusion!,
            finished_at: now,
            orchestrator: null,
            orchestrator_lease_expires_at: null,
            reused_jobs: null,
            cancel_requested_at: null,
            message: change.message ?? null,
          }
        : {};
  const row = await trx
    .updateTable("runs")
    .set({ status: change.to, ...fields })
    .where("id", "=", runId)
    .where("status", "in", listSourcesOf(RUN_TRANSITIONS, change.to))
    .returningAll()
    .executeTakeFirst();
  if (!row) throw await explainRejection(trx, runId, change.to);
  const run = toRun(row);
  await recordEvent(trx, {
    action: RUN_STATUS_EVENTS[change.to],
    resourceType: "run",
    resourceId: run.id,
    actor: change.actor,
    traceId: change.traceId,
    payload: {
      runId: run.id,
      workflow: run.workflowName,
      event: run.event,
      status: run.status,
      ...(run.conclusion ? { conclusion: run.conclusion } : {}),
      ...(run.message ? { message: run.message } : {}),
      ...change.details,
    },
  });
  return run;
}

async function explainRejection(trx: Kysely<Database>, runId: number, to: RunStatus): Promise<StoreError> {
  const row = await trx.selectFrom("runs").select("status").where("id", "=", runId).executeTakeFirst();
  if (!row) return new StoreError("STORE_NOT_FOUND", `run ${runId} does not exist`);
  return (
    checkTransition("run", RUN_TRANSITIONS, runId, row.status, to) ??
    new StoreError("STORE_ILLEGAL_TRANSITION", `run ${runId} changed while moving to ${to}; retry`)
  );
}
