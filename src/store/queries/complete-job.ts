// Finishes a leased job with its conclusion and outputs (event job:finished), only for the runner holding the lease.
import type { Job } from "../records.js";
import type { Conclusion, StopReason } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { transitionJob } from "./transition-job.js";

export interface CompleteJobRequest {
  jobId: number;
  runnerId: string;
  conclusion: Conclusion;
  outputs?: Record<string, string>;
  stopReason?: StopReason;
  message?: string;
  /** The job's evaluated `environment.url`, kept in its job:finished event for the deployment. */
  environmentUrl?: string;
}

/**
 * Safe under concurrency: the UPDATE matches only while lease_owner is this runner; a lease the sweeper already gave
 * back (owner cleared) fails with QUEUE_LEASE_LOST instead of overwriting the next attempt.
 */
export async function completeJob(store: Store, request: CompleteJobRequest): Promise<Job> {
  return transitionJob(
    store,
    request.jobId,
    {
      to: "completed",
      conclusion: request.conclusion,
      outputs: request.outputs,
      stopReason: request.stopReason,
      actor: request.runnerId,
      ...(request.message ? { message: request.message } : {}),
      ...(request.environmentUrl ? { details: { environmentUrl: request.environmentUrl } } : {}),
    },
    { leaseOwner: request.runnerId },
  );
}
