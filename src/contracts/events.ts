// The names of the events the store records (`events.action`, the audit trail users query) and observers see, each
// defined once. Contract: `entity:past-tense` names; adding one is an API change, renaming one breaks users' queries.

/** A run reaching each status, and what is asked of a run. */
export const RUN_EVENTS = [
  "run:queued",
  "run:waiting",
  "run:started",
  "run:finished",
  "run:adopted",
  "run:cancel-requested",
  "run:rerun-requested",
] as const;

/** A job reaching each status, and what is asked of a job. */
export const JOB_EVENTS = [
  "job:queued",
  "job:waiting",
  "job:started",
  "job:finished",
  "job:requeued",
  "job:cancel-requested",
] as const;

/** What a runner reports of its job's steps. */
export const STEP_EVENTS = ["step:started", "step:finished"] as const;
export type StepEvent = (typeof STEP_EVENTS)[number];

/** Concurrency groups, environments' gates and deployments. */
export const GATE_EVENTS = [
  "concurrency:admitted",
  "concurrency:queued",
  "concurrency:replaced",
  "concurrency:cancel-requested",
  "concurrency:released",
  "approval:requested",
  "approval:granted",
  "approval:rejected",
  "approval:refused",
  "environment:bypassed",
  "deployment:created",
  "deployment:refused",
] as const;

/** Changes to the server's configuration and credentials, and webhook deliveries. */
export const ADMINISTRATION_EVENTS = [
  "delivery:received",
  "delivery:handled",
  "delivery:failed",
  "delivery:requeued",
  "artifact:uploaded",
  "environment:created",
  "environment:updated",
  "environment:group-saved",
  "repository:protected-branches-set",
  "runner:registered",
  "runner-token:minted",
  "secret:set",
  "secret:deleted",
  "secret:key-rotated",
  "variable:set",
  "variable:deleted",
  "token:created",
  "token:revoked",
] as const;

export const EVENT_ACTIONS = [
  ...RUN_EVENTS,
  ...JOB_EVENTS,
  ...STEP_EVENTS,
  ...GATE_EVENTS,
  ...ADMINISTRATION_EVENTS,
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];
