// What a job reports while it runs: the step and log events a runner emits. Contract: names and payloads.
import type { Conclusion } from "../contracts/index.js";
import type { LogLine } from "./types.js";

export type { StopReason } from "../contracts/index.js";
/** A job's and a step's conclusion are the words every run uses (src/contracts/). */
export type JobConclusion = Conclusion;
export type StepConclusion = Conclusion;

export interface JobRef {
  /** The workflow's job id. */
  jobId: string;
  /** Unique per job instance: the job id plus matrix values, e.g. `test (20, linux)`. */
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

export interface JobEvents {
  "step:started": { step: StepRef };
  "step:finished": {
    step: StepRef;
    outcome: StepConclusion;
    conclusion: StepConclusion;
    durationMs: number;
    message?: string;
    /** What the step wrote to GITHUB_STEP_SUMMARY (Markdown, masked), when anything. */
    summary?: string;
  };
  "log:line": { job: JobRef; step?: StepRef; line: LogLine };
  /**
   * The job starts over on another runner (a server's runner stopped renewing its lease): the steps reported so far
   * are superseded by the ones that follow.
   */
  "job:requeued": { job: JobRef; message: string };
}

export type EmitJobEvent = <E extends keyof JobEvents>(event: E, payload: JobEvents[E]) => void;
