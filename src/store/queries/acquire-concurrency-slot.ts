// A run or job enters its concurrency group: it runs at once when the group is free, else it becomes the one pending
// holder, replacing (and cancelling) an older pending one and, with cancel-in-progress, cancelling the running one.
import type { Kysely } from "kysely";
import { sqlNow } from "../clock.js";
import {
  CONCURRENCY_EVENTS,
  isSameHolder,
  recordSlotEvent,
  toConcurrencySlot,
  type ConcurrencyHolder,
  type ConcurrencySlot,
} from "../concurrency-slot.js";
import { wakeConcurrencyOnCommit } from "../notify.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { cancelJobInTransaction } from "./cancel-job.js";
import type { QueuedJob } from "./get-job.js";
import { requestRunCancelInTransaction } from "./request-run-cancel.js";

export interface SlotRequest {
  repositoryId: number;
  /** The group's name lower-cased. */
  groupKey: string;
  groupName: string;
  holder: ConcurrencyHolder;
  cancelInProgress: boolean;
}

export interface SlotAcquisition {
  /** `finished`: the job already completed in this attempt (a resumed run); it runs no more and holds nothing. */
  state: "running" | "pending" | "finished";
  /** A running holder a newer one's cancel-in-progress asked to stop (seen again by a resumed run). */
  isCancelRequested: boolean;
  /** Runs whose cancel this acquisition requested, for the caller to wake their orchestrators. */
  cancelledRuns: number[];
  /** Job rows this acquisition cancelled, for the caller to wake their followers. */
  cancelledJobs: QueuedJob[];
}

/**
 * Safe under concurrency: the group's row is created by an insert-if-absent on its primary key or else locked (FOR
 * UPDATE on PostgreSQL; SQLite's write lock), so of racing holders one runs and the others queue behind it in commit
 * order. The cancels it causes commit with it. Lock order is slot, then runs, then jobs, as in transition-run.
 * A holder already in the group (a resumed run acquiring again) keeps its place.
 */
export async function acquireConcurrencySlot(store: Store, request: SlotRequest): Promise<SlotAcquisition> {
  return runInTransaction(store, async (trx) => {
    const acquisition: SlotAcquisition = {
      state: "running",
      isCancelRequested: false,
      cancelledRuns: [],
      cancelledJobs: [],
    };
    const { holder } = request;
    if (holder.jobKey !== null && (await isJobCompleted(trx, holder))) {
      return { ...acquisition, state: "finished" };
    }
    for (;;) {
      const inserted = await trx
        .insertInto("concurrency_slots")
        .values({
          repository_id: request.repositoryId,
          group_key: request.groupKey,
          group_name: request.groupName,
          running_run_id: holder.runId,
          running_attempt: holder.attempt,
          running_job_key: holder.jobKey,
        })
        .onConflict((conflict) => conflict.columns(["repository_id", "group_key"]).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) {
        await recordSlotEvent(trx, CONCURRENCY_EVENTS.admitted, toConcurrencySlot(inserted), holder);
        return acquisition;
      }
      let query = trx
        .selectFrom("concurrency_slots")
        .selectAll()
        .where("repository_id", "=", request.repositoryId)
        .where("group_key", "=", request.groupKey);
      if (store.dialect === "postgres") query = query.forUpdate();
      const row = await query.executeTakeFirst();
      // Released between the insert and the lock: try to take it again.
      if (!row) continue;
      const slot = toConcurrencySlot(row);
      if (isSameHolder(slot.running, holder)) {
        return { ...acquisition, isCancelRequested: slot.isRunningCancelRequested };
      }
      if (isSameHolder(slot.pending, holder)) return { ...acquisition, state: "pending" };
      await queueBehind(store, trx, slot, request, acquisition);
      return { ...acquisition, state: "pending" };
    }
  });
}

async function queueBehind(
  store: Store,
  trx: Kysely<Database>,
  slot: ConcurrencySlot,
  request: SlotRequest,
  acquisition: SlotAcquisition,
): Promise<void> {
  const { holder } = request;
  const cancelsRunning = request.cancelInProgress && !slot.isRunningCancelRequested;
  await trx
    .updateTable("concurrency_slots")
    .set({
      pending_run_id: holder.runId,
      pending_attempt: holder.attempt,
      pending_job_key: holder.jobKey,
      ...(cancelsRunning ? { running_cancel_requested_at: sqlNow(store.dialect) } : {}),
    })
    .where("repository_id", "=", slot.repositoryId)
    .where("group_key", "=", slot.groupKey)
    .execute();
  const by = { by: holder };
  if (slot.pending) {
    await recordSlotEvent(trx, CONCURRENCY_EVENTS.replaced, slot, slot.pending, by);
    await cancelHolder(store, trx, slot.pending, acquisition);
  }
  await recordSlotEvent(trx, CONCURRENCY_EVENTS.queued, slot, holder, { behind: slot.running });
  if (cancelsRunning) {
    await recordSlotEvent(trx, CONCURRENCY_EVENTS.cancelRequested, slot, slot.running, by);
    await cancelHolder(store, trx, slot.running, acquisition);
  }
  await wakeConcurrencyOnCommit(store, trx);
}

/**
 * A run holder gets the durable run cancel (its orchestrator, on any server, stops it); a job holder's job row, if it
 * was queued yet, is cancelled. A pending job has no row: its orchestrator sees it left the group.
 */
async function cancelHolder(
  store: Store,
  trx: Kysely<Database>,
  holder: ConcurrencyHolder,
  acquisition: SlotAcquisition,
): Promise<void> {
  const actor = { actor: "hangar" };
  if (holder.jobKey === null) {
    const cancelled = await requestRunCancelInTransaction(store, trx, holder.runId, actor);
    if (!cancelled) return;
    acquisition.cancelledRuns.push(holder.runId);
    acquisition.cancelledJobs.push(...cancelled.jobs);
    return;
  }
  const job = await trx
    .selectFrom("jobs")
    .select("id")
    .where("run_id", "=", holder.runId)
    .where("attempt", "=", holder.attempt)
    .where("job_key", "=", holder.jobKey)
    .where("status", "<>", "completed")
    .executeTakeFirst();
  const cancelled = job && (await cancelJobInTransaction(store, trx, job.id, actor));
  if (cancelled) acquisition.cancelledJobs.push(cancelled);
}

async function isJobCompleted(trx: Kysely<Database>, holder: ConcurrencyHolder): Promise<boolean> {
  const job = await trx
    .selectFrom("jobs")
    .select("status")
    .where("run_id", "=", holder.runId)
    .where("attempt", "=", holder.attempt)
    .where("job_key", "=", holder.jobKey!)
    .executeTakeFirst();
  return job?.status === "completed";
}
