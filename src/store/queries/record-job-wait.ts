// Records why a job the engine has not queued yet waits; a newer reason for the same job replaces the older one.
import type { Store } from "../store.js";

/** Contract: why a job not yet queued waits (the engine's `job:waiting` reasons). Adding one is an API change. */
export const JOB_WAIT_REASONS = ["needs", "concurrency"] as const;
export type JobWaitReason = (typeof JOB_WAIT_REASONS)[number];

export interface JobWaitInput {
  runId: number;
  attempt: number;
  /** The job's key in the run attempt; a matrix job waiting for its needs has its unexpanded key. */
  key: string;
  jobId: string;
  name: string;
  reason: JobWaitReason;
  /** `needs`: the job ids not finished yet; `concurrency`: the group name. */
  detail: string[] | string;
}

/** Safe under concurrency: an upsert on the (run, attempt, key) primary key; only the run's launcher writes it. */
export async function recordJobWait(store: Store, input: JobWaitInput): Promise<void> {
  const values = {
    run_id: input.runId,
    attempt: input.attempt,
    job_key: input.key,
    job_id: input.jobId,
    name: input.name,
    reason: input.reason,
    detail: JSON.stringify(input.detail),
  };
  await store.db
    .insertInto("job_waits")
    .values(values)
    .onConflict((conflict) =>
      conflict.columns(["run_id", "attempt", "job_key"]).doUpdateSet({
        job_id: values.job_id,
        name: values.name,
        reason: values.reason,
        detail: values.detail,
      }),
    )
    .execute();
}
