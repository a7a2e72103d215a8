// Adds the row of a job that finished without going through the queue: a reusable workflow's caller, a skipped job, a
// job that failed or was cancelled before it could be queued. It records job:finished with its message.
import { sqlNow } from "../clock.js";
import { toJob, type Job } from "../records.js";
import type { Conclusion, StopReason } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { JOB_STATUS_EVENTS } from "../transitions.js";
import { jobRowIdentity, type QueuedJobInput } from "./insert-queued-job.js";
import { recordEvent } from "./record-event.js";

export interface FinishedJobInput extends Pick<
  QueuedJobInput,
  "runId" | "attempt" | "key" | "jobId" | "name" | "matrix"
> {
  conclusion: Conclusion;
  stopReason?: StopReason;
  outputs: Record<string, string>;
  message?: string;
}

/**
 * Safe under concurrency: one insert that does nothing when the run attempt already has a row for the key (a job
 * that went through the queue keeps the row its runner completed), so a job has one row however its end is reported.
 * Returns the new row, or undefined when the key had one.
 */
export async function insertFinishedJob(store: Store, input: FinishedJobInput): Promise<Job | undefined> {
  return runInTransaction(store, async (trx) => {
    const inserted = await trx
      .insertInto("jobs")
      .values({
        ...jobRowIdentity(input),
        runs_on: JSON.stringify([]),
        needs: JSON.stringify([]),
        status: "completed",
        conclusion: input.conclusion,
        stop_reason: input.stopReason ?? null,
        outputs: JSON.stringify(input.outputs),
        message: input.message ?? null,
        request: null,
      })
      .onConflict((conflict) => conflict.columns(["run_id", "attempt", "job_key"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) return undefined;
    // Timestamps come from the database's clock, which an insert's values may not name (schema.ts).
    const row = await trx
      .updateTable("jobs")
      .set({ finished_at: sqlNow(store.dialect) })
      .where("id", "=", inserted.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const job = toJob(row);
    await recordEvent(trx, {
      action: JOB_STATUS_EVENTS.completed,
      resourceType: "job",
      resourceId: job.id,
      payload: {
        runId: job.runId,
        attempt: job.attempt,
        job: { jobId: job.jobId, key: job.key, name: job.name, matrix: job.matrix },
        status: job.status,
        conclusion: job.conclusion,
        outputs: job.outputs ?? {},
        reason: job.stopReason ?? undefined,
        ...(job.message ? { message: job.message } : {}),
      },
    });
    return job;
  });
}
