// Status transition tables for runs and jobs, and the event each target status records. Code interprets these tables.
import type { EventAction, JobStatus, RunStatus } from "../contracts/index.js";
import { StoreError } from "./store-error.js";

/** From-status → the statuses a run may move to. A completed run is final (a re-run is a new attempt row). */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ["waiting", "in_progress", "completed"],
  waiting: ["queued", "in_progress", "completed"],
  in_progress: ["waiting", "completed"],
  completed: [],
};

/**
 * From-status → the statuses a job may move to. `in_progress → queued` is the sweeper giving an expired lease back;
 * `queued/waiting → completed` is a job cancelled or skipped before any runner took it.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  waiting: ["queued", "completed"],
  queued: ["waiting", "in_progress", "completed"],
  in_progress: ["queued", "completed"],
  completed: [],
};

/** Contract: the event name (`events.action`) written when a run reaches each status. */
export const RUN_STATUS_EVENTS: Readonly<Record<RunStatus, EventAction>> = {
  queued: "run:queued",
  waiting: "run:waiting",
  in_progress: "run:started",
  completed: "run:finished",
};

/** Contract: the event name (`events.action`) written when a job reaches each status. */
export const JOB_STATUS_EVENTS: Readonly<Record<JobStatus, EventAction>> = {
  queued: "job:queued",
  waiting: "job:waiting",
  in_progress: "job:started",
  completed: "job:finished",
};

/** The statuses from which `to` may be reached, for a compare-and-set `WHERE status IN (...)`. */
export function listSourcesOf<S extends string>(table: Readonly<Record<S, readonly S[]>>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
}

/** The error for a transition the table forbids, or undefined when `from → to` is allowed. */
export function checkTransition<S extends string>(
  entity: "run" | "job",
  table: Readonly<Record<S, readonly S[]>>,
  id: number,
  from: S,
  to: S,
): StoreError | undefined {
  if (table[from].includes(to)) return undefined;
  const allowed = table[from].length > 0 ? table[from].join(", ") : "nothing (it is final)";
  return new StoreError(
    "STORE_ILLEGAL_TRANSITION",
    `${entity} ${id} cannot go from ${from} to ${to}; from ${from} it may go to ${allowed}`,
  );
}
