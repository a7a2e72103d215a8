// Records why a job the engine has not queued yet waits; a newer reason for the same job replaces the older one.
import { sql } from "kysely";
import { sqlNow } from "../clock.js";
import type { ApprovalWait, JobWaitReason } from "../../contracts/index.js";
import type { Store } from "../store.js";

/** What an `approval` wait waits for: the environment and which of its rules have not passed yet. */
export interface ApprovalWaitDetail {
  environment: string;
  waitingFor: ApprovalWait[];
}
export type JobWaitDetail = string[] | string | ApprovalWaitDetail;

export interface JobWaitInput {
  runId: number;
  attempt: number;
  /** The job's key in the run attempt; a matrix job waiting for its needs has its unexpanded key. */
  key: string;
  jobId: string;
  name: string;
  reason: JobWaitReason;
  /** `needs`: the job ids not finished yet; `concurrency`: the group name; `approval`: the environment's gate. */
  detail: JobWaitDetail;
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
        // A new reason starts a new wait (an approval's wait timer counts from it); the same one keeps its start.
        since: sql<string>`case when job_waits.reason = ${values.reason}
          then job_waits.since else ${sqlNow(store.dialect)} end`,
      }),
    )
    .execute();
}
