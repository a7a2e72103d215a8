// Adds one claimable job row to an existing run, carrying the JobRequest a runner will execute.
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
 * Safe under concurrency: one insert (unique run/attempt/key rejects a second one) and its job:queued event in one
 * transaction; waiting claimers are woken only after it commits.
 */
export async function insertQueuedJob(store: Store, input: QueuedJobInput): Promise<QueuedJob> {
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .insertInto("jobs")
      .values({
        run_id: input.runId,
        attempt: input.attempt,
        job_key: input.key,
        job_id: input.jobId,
        name: input.name,
        matrix: input.matrix ? JSON.stringify(input.matrix) : null,
        runs_on: JSON.stringify(normalizeLabels(input.runsOn)),
        needs: JSON.stringify(input.needs ?? []),
        status: "queued",
        request: JSON.stringify(input.request),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const job = toQueuedJob(row);
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
