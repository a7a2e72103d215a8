// The typed event map every observer of a run shares (CLI, later server, store and audit). Contract: names and payloads.
import type { JobConclusion, JobEvents, JobRef, StopReason } from "../runner/index.js";
import type { ApprovalWait } from "../contracts/index.js";

export interface RunEvents extends JobEvents {
  "run:started": { runId: string; workflow: string; event: string };
  "job:started": { job: JobRef };
  "job:finished": {
    job: JobRef;
    conclusion: JobConclusion;
    outputs: Record<string, string>;
    durationMs: number;
    reason?: StopReason;
    message?: string;
    /** The job failed but `continue-on-error` keeps the run (and `needs.<id>.result`) successful. */
    continuedOnError?: boolean;
    /** The environment the job ran in, with its `environment.url` evaluated after the job. */
    environment?: { name: string; url?: string };
  };
  /**
   * A job the engine holds back before it starts or is queued: its `needs` have not all finished (detail: their job
   * ids), or its concurrency group or its workflow's is taken (detail: the group), or its environment's protection
   * rules hold it (detail: the environment and what it waits for). Cleared by the job's next event.
   */
  "job:waiting": { job: WaitingJobRef } & (
    | { reason: "needs"; detail: string[] }
    | { reason: "concurrency"; detail: string }
    | { reason: "approval"; detail: { environment: string; waitingFor: ApprovalWait[] } }
  );
  "run:finished": { runId: string; conclusion: JobConclusion };
}

/** A job that may not have expanded its matrix yet: then its key is the job's own, without matrix values. */
export type WaitingJobRef = Pick<JobRef, "jobId" | "key" | "name">;

export type RunEventName = keyof RunEvents;
export type RunEventListener<E extends RunEventName> = (payload: RunEvents[E]) => void;
