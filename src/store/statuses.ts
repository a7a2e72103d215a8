// The closed value sets of every status-like column; the database CHECK constraints must list exactly these (drift test).
// Contract: these strings appear in the API, the SQL views and the events table; adding one is an API change.

/** A run's `status`, as GitHub names it (workflow runs API). */
export const RUN_STATUSES = ["queued", "waiting", "in_progress", "completed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A job's `status`: `waiting` is held back (unmet `needs`, a gate), `queued` is claimable by a runner. */
export const JOB_STATUSES = ["queued", "waiting", "in_progress", "completed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A step's `status`. */
export const STEP_STATUSES = ["queued", "in_progress", "completed"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A run's, job's or step's `conclusion`, and a step's `outcome`; the same set as the runner's `JobConclusion`. */
export const CONCLUSIONS = ["success", "failure", "cancelled", "skipped"] as const;
export type Conclusion = (typeof CONCLUSIONS)[number];

/** Why a job stopped other than by its own steps: the runner's `StopReason` plus what only the server can see. */
export const STOP_REASONS = [
  "cancelled",
  "timed_out",
  "dependency_failed",
  "fail_fast",
  "executor_error",
  "runner_lost",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];
