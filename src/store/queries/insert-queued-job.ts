// Adds one claimable job row to an existing run, carrying the JobRequest a runner will execute, or adopts the row an
// earlier orchestrator of the same run attempt already added for that job key.
import { normalizeLabels } from "../labels.js";
import { wakeOnCommit } from "../notify.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { JOB_STATUS_EVENTS } from "../transitions.js";
import { toQueuedJob, type QueuedJob } from "./get-job.js";
import { recordEvent } from "./record-event.js";

export interface QueuedJobInput {
  runId: number;
  attempt: number;
  /** Unique within the run attempt: the job id plus matrix values, e.g. `test (20, linux)`. */
  key: string;
  jobId: string;
  name: string;
  matrix?: Record<string, unknown> | null;
  /** The runs-on labels; a runner must have every one. */
  runsOn: readonly string[];
  needs?: readonly string[];
  /** The JobRequest, stored as JSON. */
  request: unknown;
  traceId?: string | null;
}

/**
 * Safe under concurrency: one insert that does nothing when the run attempt already has a row for the key (unique
 * jobs_key_unique), so two orchestrators of one run (a resumed run, a stale owner) share one row and the job runs once.
 * Only a new row records job:queued and wakes waiting claimers, after it commits. Returns the new or existing row.
 */
export async function insertQueuedJob(store: Store, input: QueuedJobInput): Promise<QueuedJob> {
  return runInTransaction(store, async (trx) => {
    const inserted = await trx
      .insertInto("jobs")
      .values({
        ...jobRowIdentity(input),
        runs_on: JSON.stringify(normalizeLabels(input.runsOn)),
        needs: JSON.stringify(input.needs ?? []),
        status: "queued",
        request: JSON.stringify(input.request),
      })
      .onConflict((conflict) => conflict.columns(["run_id", "attempt", "job_key"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) {
      const existing = await trx
        .selectFrom("jobs")
        .selectAll()
        .where("run_id", "=", input.runId)
        .where("attempt", "=", input.attempt)
        .where("job_key", "=", input.key)
        .executeTakeFirstOrThrow();
      return toQueuedJob(existing);
    }
    const job = toQueuedJob(inserted);
    await recordEvent(trx, {
      action: JOB_STATUS_EVENTS.queued,
      resourceType: "job",
      resourceId: job.id,
      traceId: input.traceId,
      payload: {
        runId: job.runId,
        attempt: job.attempt,
        job: { jobId: job.jobId, key: job.key, name: job.name, matrix: job.matrix },
        status: job.status,
        runsOn: job.runsOn,
      },
    });
    await wakeOnCommit(store, trx);
    return job;
  });
}

/** The columns that name a job instance within its run attempt, shared by every insert of a job row. */
export function jobRowIdentity(
  input: Pick<QueuedJobInput, "runId" | "attempt" | "key" | "jobId" | "name" | "matrix">,
) {
  return {
    run_id: input.runId,
    attempt: input.attempt,
    job_key: input.key,
    job_id: input.jobId,
    name: input.name,
    matrix: input.matrix ? JSON.stringify(input.matrix) : null,
  };
}
