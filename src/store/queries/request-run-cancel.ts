// Records a durable cancel request on an open run and cancels its jobs in the store: queued ones complete as cancelled
// at once, running ones are flagged for their runners. The run's orchestrator (any server) then cancels its engine.
import { sql, type Kysely } from "kysely";
import { sqlNow } from "../clock.js";
import { toRun, type Run } from "../records.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { cancelJobInTransaction } from "./cancel-job.js";
import type { QueuedJob } from "./get-job.js";
import { recordEvent } from "./record-event.js";

/**
 * Safe under concurrency: the flag UPDATE is guarded by `status <> 'completed'` and locks the run row for the rest of
 * the transaction; each job is cancelled by cancelJob's own guarded updates. A job queued by the orchestrator after
 * this commits is cancelled by the orchestrator itself once it sees the request.
 */
export async function requestRunCancel(
  store: Store,
  runId: number,
  options: { actor?: string | null } = {},
): Promise<{ run: Run; jobs: QueuedJob[] }> {
  return runInTransaction(store, async (trx) => {
    const cancelled = await requestRunCancelInTransaction(store, trx, runId, options);
    if (cancelled) return cancelled;
    const found = await trx.selectFrom("runs").select("id").where("id", "=", runId).executeTakeFirst();
    throw found
      ? new StoreError("STORE_ILLEGAL_TRANSITION", `run ${runId} is completed; there is nothing to cancel`)
      : new StoreError("STORE_NOT_FOUND", `run ${runId} does not exist`);
  });
}

/** requestRunCancel inside the caller's transaction; undefined when the run is completed or does not exist. */
export async function requestRunCancelInTransaction(
  store: Store,
  trx: Kysely<Database>,
  runId: number,
  options: { actor?: string | null } = {},
): Promise<{ run: Run; jobs: QueuedJob[] } | undefined> {
  const row = await trx
    .updateTable("runs")
    .set({ cancel_requested_at: sql<string>`coalesce(cancel_requested_at, ${sqlNow(store.dialect)})` })
    .where("id", "=", runId)
    .where("status", "<>", "completed")
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  const run = toRun(row);
  await recordEvent(trx, {
    action: "run:cancel-requested",
    resourceType: "run",
    resourceId: runId,
    actor: options.actor,
    payload: { runId, attempt: run.attempt, orchestrator: row.orchestrator },
  });
  const open = await trx
    .selectFrom("jobs")
    .select("id")
    .where("run_id", "=", runId)
    .where("attempt", "=", run.attempt)
    .where("status", "<>", "completed")
    .orderBy("id")
    .execute();
  const jobs: QueuedJob[] = [];
  for (const { id } of open) {
    const job = await cancelJobInTransaction(store, trx, id, options);
    if (job) jobs.push(job);
  }
  return { run, jobs };
}
