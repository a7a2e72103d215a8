// The words runs, jobs and steps are described with, each defined once: the engine, the runner, the store's CHECK
// constraints (drift-tested), the API's schemas and the runner protocol's validation all use these lists.
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

/**
 * A run's, job's or step's `conclusion`, and a step's `outcome` (before continue-on-error): GitHub's words, which
 * the status functions of expressions (`success()`, `failure()`, `cancelled()`) and `job.status` read.
 */
export const CONCLUSIONS = ["success", "failure", "cancelled", "skipped"] as const;
export type Conclusion = (typeof CONCLUSIONS)[number];

/** Why a job stopped other than by its own steps. */
export const STOP_REASONS = [
  "cancelled",
  "timed_out",
  "dependency_failed",
  "fail_fast",
  "executor_error",
  /** The runner stopped heartbeating and the job ran out of claims: only the server can see this. */
  "runner_lost",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The stop reasons a runner may report; the others are the server's own findings. */
export const RUNNER_STOP_REASONS = STOP_REASONS.filter(
  (reason): reason is Exclude<StopReason, "runner_lost"> => reason !== "runner_lost",
);

/** Why a job the engine has not queued yet waits (the engine's `job:waiting` reasons), as stored. */
export const JOB_WAIT_REASONS = ["needs", "concurrency", "approval"] as const;
export type JobWaitReason = (typeof JOB_WAIT_REASONS)[number];

/** Why a job waits, as the API says it: the stored reasons, and for a queued job no runner or no free runner. */
export const WAITING_REASONS = [...JOB_WAIT_REASONS, "no_runner", "runners_busy"] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

/** The protection rules of an environment an `approval` wait can wait for. */
export const APPROVAL_WAITS = ["reviewers", "wait_timer"] as const;
export type ApprovalWait = (typeof APPROVAL_WAITS)[number];

/**
 * A webhook delivery's place in the intake queue: `queued` (received, or waiting for its next attempt),
 * `in_progress` (a server is reading its workflows), `handled` (its runs are recorded), `failed` (out of attempts).
 */
export const DELIVERY_STATUSES = ["queued", "in_progress", "handled", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
