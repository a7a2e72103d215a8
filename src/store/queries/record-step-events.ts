// Stores a runner's step events for its leased job as event rows, idempotently by the runner's event sequence.
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/** Contract: the event names a runner may report for its job's steps. */
export const STEP_EVENT_ACTIONS = ["step:started", "step:finished"] as const;
export type StepEventAction = (typeof STEP_EVENT_ACTIONS)[number];

export interface StepEventInput {
  /** 1, 2, 3 ... per claim, in the order the runner produced them. */
  seq: number;
  action: StepEventAction;
  payload: Record<string, unknown>;
}

/**
 * Safe under concurrency: the job row is locked first (FOR UPDATE; SQLite's write lock), so a resent batch sees the
 * rows the first one wrote and a sweeper cannot requeue the job mid-batch. Events carry (claim, seq): a later claim
 * of the same job numbers its events afresh. Returns the highest seq stored for this claim.
 */
export async function recordStepEvents(
  store: Store,
  request: { jobId: number; runnerId: string; events: readonly StepEventInput[] },
): Promise<{ ackSeq: number }> {
  return runInTransaction(store, async (trx) => {
    let lock = trx
      .selectFrom("jobs")
      .select(["claim_count", "run_id"])
      .where("id", "=", request.jobId)
      .where("status", "=", "in_progress")
      .where("lease_owner", "=", request.runnerId);
    if (store.dialect === "postgres") lock = lock.forUpdate();
    const job = await lock.executeTakeFirst();
    if (!job) {
      throw new StoreError("QUEUE_LEASE_LOST", `job ${request.jobId} is not leased to ${request.runnerId}`);
    }
    const stored = await trx
      .selectFrom("events")
      .select("payload")
      .where("resource_type", "=", "job")
      .where("resource_id", "=", String(request.jobId))
      .where("action", "in", [...STEP_EVENT_ACTIONS])
      .execute();
    const seen = new Set<number>();
    for (const row of stored) {
      const payload = JSON.parse(row.payload) as { claim?: number; seq?: number };
      if (payload.claim === job.claim_count && typeof payload.seq === "number") seen.add(payload.seq);
    }
    for (const event of request.events) {
      if (seen.has(event.seq)) continue;
      seen.add(event.seq);
      await recordEvent(trx, {
        action: event.action,
        resourceType: "job",
        resourceId: request.jobId,
        actor: request.runnerId,
        payload: { ...event.payload, runId: job.run_id, claim: job.claim_count, seq: event.seq },
      });
    }
    return { ackSeq: Math.max(0, ...seen) };
  });
}
