// The typed event map every observer of a run shares (CLI, later server, store and audit). Contract: names and payloads.
import type { JobConclusion, JobEvents, JobRef, StopReason } from "../runner/index.js";

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
  };
  "run:finished": { runId: string; conclusion: JobConclusion };
}

export type RunEventName = keyof RunEvents;
export type RunEventListener<E extends RunEventName> = (payload: RunEvents[E]) => void;
