// The typed event map every observer of a run shares (CLI, later server, store and audit). Contract: names and payloads.
import type { LogLine } from "../runner/index.js";

export type JobConclusion = "success" | "failure" | "cancelled" | "skipped";
export type StepConclusion = JobConclusion;

/** Why a job or run stopped other than by its own steps. Contract: a closed set; adding one is an API change. */
export type StopReason = "cancelled" | "timed_out" | "dependency_failed" | "fail_fast" | "executor_error";

export interface JobRef {
  /** The workflow's job id. */
  jobId: string;
  /** Unique per job instance: the job id plus matrix values, e.g. `test (node 20, linux)`. */
  key: string;
  /** Display name after evaluation. */
  name: string;
  matrix?: Record<string, unknown>;
  /** `strategy.job-index`: the instance's place in its matrix (0 without one). */
  index: number;
}

export interface StepRef {
  job: JobRef;
  index: number;
  id: string;
  name: string;
}

export interface RunEvents {
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
  };
  "step:started": { step: StepRef };
  "step:finished": {
    step: StepRef;
    outcome: StepConclusion;
    conclusion: StepConclusion;
    durationMs: number;
    message?: string;
  };
  "log:line": { job: JobRef; step?: StepRef; line: LogLine };
  "run:finished": { runId: string; conclusion: JobConclusion };
}

export type RunEventName = keyof RunEvents;
export type RunEventListener<E extends RunEventName> = (payload: RunEvents[E]) => void;
