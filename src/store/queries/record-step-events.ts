// Stores a runner's step events for its leased job as event rows and keeps its `steps` rows in step with them,
// idempotently by the runner's event sequence.
import type { Kysely } from "kysely";
import { sqlNow } from "../clock.js";
import type { Database } from "../schema.js";
import { STEP_EVENTS, type Conclusion, type StepEvent } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface StepEventInput {
  /** 1, 2, 3 ... per claim, in the order the runner produced them. */
  seq: number;
  action: StepEvent;
  payload: Record<string, unknown>;
}

/**
 * Safe under concurrency: the job row is locked first (FOR UPDATE; SQLite's write lock), so a resent batch sees the
 * rows the first one wrote and a sweeper cannot requeue the job mid-batch. Events carry (claim, seq): a later claim
 * of the same job numbers its events afresh. Returns the highest seq stored for this claim.
 * Steps are numbered 1, 2, 3 ... in the order they start within the claim, as GitHub numbers a job's steps (pre and
 * post steps share their main step's index, so the runner's index cannot be the number); a runner runs one step at a
 * time, so a step:finished belongs to the step started last. A later claim's steps replace the earlier claim's.
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
      .select(["action", "payload"])
      .where("resource_type", "=", "job")
      .where("resource_id", "=", String(request.jobId))
      .where("action", "in", [...STEP_EVENTS])
      .execute();
    const seen = new Set<number>();
    let stepNumber = 0;
    for (const row of stored) {
      const payload = JSON.parse(row.payload) as { claim?: number; seq?: number };
      if (payload.claim !== job.claim_count || typeof payload.seq !== "number") continue;
      seen.add(payload.seq);
      if (row.action === "step:started") stepNumber += 1;
    }
    for (const event of request.events) {
      if (seen.has(event.seq)) continue;
      seen.add(event.seq);
      if (event.action === "step:started") stepNumber += 1;
      await writeStep(trx, store, request.jobId, stepNumber, event);
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

async function writeStep(
  trx: Kysely<Database>,
  store: Store,
  jobRowId: number,
  number: number,
  event: StepEventInput,
): Promise<void> {
  const now = sqlNow(store.dialect);
  if (event.action === "step:finished") {
    const { outcome, conclusion } = event.payload as { outcome?: Conclusion; conclusion?: Conclusion };
    await trx
      .updateTable("steps")
      .set({
        status: "completed",
        outcome: outcome ?? null,
        conclusion: conclusion ?? null,
        finished_at: now,
      })
      .where("job_row_id", "=", jobRowId)
      .where("step_index", "=", number)
      .execute();
    return;
  }
  const step = (event.payload["step"] ?? {}) as { id?: unknown; name?: unknown };
  // Rows from this number on belong to an earlier claim of the job.
  await trx
    .deleteFrom("steps")
    .where("job_row_id", "=", jobRowId)
    .where("step_index", ">=", number)
    .execute();
  await trx
    .insertInto("steps")
    .values({
      job_row_id: jobRowId,
      step_index: number,
      step_id: String(step.id ?? ""),
      name: String(step.name ?? ""),
      status: "in_progress",
    })
    .execute();
  // Timestamps are only ever set from the database's clock, which the insert type does not allow (schema.ts).
  await trx
    .updateTable("steps")
    .set({ started_at: now })
    .where("job_row_id", "=", jobRowId)
    .where("step_index", "=", number)
    .execute();
}
