// A holder leaves its concurrency group: the running one finished (the pending one, if any, runs next) or a pending
// one stopped waiting. A completing run leaves every group it is in (transition-run).
import type { Kysely } from "kysely";
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

/**
 * Safe under concurrency: the group's row is locked (FOR UPDATE; SQLite's write lock) before it is changed, and a
 * holder no longer in the group (replaced, or released already) changes nothing, so a repeated release is harmless.
 */
export async function releaseConcurrencySlot(
  store: Store,
  request: { repositoryId: number; groupKey: string; holder: ConcurrencyHolder },
): Promise<void> {
  await runInTransaction(store, async (trx) => {
    let query = trx
      .selectFrom("concurrency_slots")
      .selectAll()
      .where("repository_id", "=", request.repositoryId)
      .where("group_key", "=", request.groupKey);
    if (store.dialect === "postgres") query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row) await leaveSlot(store, trx, toConcurrencySlot(row), request.holder);
  });
}

/**
 * Every group `runId` holds or waits in, left in the caller's transaction (the run completed). Rows are locked in
 * key order before the run row is touched, the same order acquireConcurrencySlot takes, so the two cannot deadlock.
 */
export async function releaseRunSlotsInTransaction(
  store: Store,
  trx: Kysely<Database>,
  runId: number,
): Promise<void> {
  let query = trx
    .selectFrom("concurrency_slots")
    .selectAll()
    .where((eb) => eb.or([eb("running_run_id", "=", runId), eb("pending_run_id", "=", runId)]))
    .orderBy("repository_id")
    .orderBy("group_key");
  if (store.dialect === "postgres") query = query.forUpdate();
  for (const row of await query.execute()) {
    let slot = toConcurrencySlot(row);
    // A matrix job's instances can be both holders of one group.
    if (slot.pending?.runId === runId) {
      await leaveSlot(store, trx, slot, slot.pending);
      slot = { ...slot, pending: null };
    }
    if (slot.running.runId === runId) await leaveSlot(store, trx, slot, slot.running);
  }
}

async function leaveSlot(
  store: Store,
  trx: Kysely<Database>,
  slot: ConcurrencySlot,
  holder: ConcurrencyHolder,
): Promise<void> {
  const isPending = isSameHolder(slot.pending, holder);
  if (!isPending && !isSameHolder(slot.running, holder)) return;
  const next = isPending ? null : slot.pending;
  const target = trx
    .updateTable("concurrency_slots")
    .where("repository_id", "=", slot.repositoryId)
    .where("group_key", "=", slot.groupKey);
  if (isPending) {
    await target.set({ pending_run_id: null, pending_attempt: null, pending_job_key: null }).execute();
  } else if (next) {
    await target
      .set({
        running_run_id: next.runId,
        running_attempt: next.attempt,
        running_job_key: next.jobKey,
        running_cancel_requested_at: null,
        pending_run_id: null,
        pending_attempt: null,
        pending_job_key: null,
      })
      .execute();
  } else {
    await trx
      .deleteFrom("concurrency_slots")
      .where("repository_id", "=", slot.repositoryId)
      .where("group_key", "=", slot.groupKey)
      .execute();
  }
  await recordSlotEvent(trx, CONCURRENCY_EVENTS.released, slot, holder, { wasPending: isPending });
  if (next) await recordSlotEvent(trx, CONCURRENCY_EVENTS.admitted, slot, next);
  await wakeConcurrencyOnCommit(store, trx);
}
