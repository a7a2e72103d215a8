// A job that names an environment passes its gate before it is dispatched: the gate (the server's protection rules)
// may make it wait, refuse it, or let it run; after the job, the gate hears how it ended and its url (a deployment).
import type { Contexts, JobModel } from "../workflow/index.js";
import { evaluateEnvironmentName, type JobConclusion, type JobRef } from "../runner/index.js";
import type { ApprovalWait } from "../contracts/index.js";

export interface GateRequest {
  job: JobRef;
  environment: { name: string };
}

export interface GateControl {
  /** Aborted when the run is cancelled while the job waits: the gate stops waiting. */
  signal: AbortSignal;
  /** The job waits: for reviewers, for its wait timer, or both. Called again when that changes. */
  onWaiting(waitingFor: ApprovalWait[]): void;
}

/** How the job that passed the gate ended, for its deployment. */
export interface DeployedJob {
  conclusion: JobConclusion;
  url?: string;
}

export type GateDecision =
  | { allowed: true; afterJob?: (deployed: DeployedJob) => Promise<void> }
  /** `reason` is the message the job fails with (GitHub's wording where it has one). */
  | { allowed: false; reason: string };

export type GateJob = (request: GateRequest, control: GateControl) => Promise<GateDecision>;

export type GatePassage =
  | { environment?: undefined; allowed: true }
  | { environment: { name: string }; allowed: true; afterJob?: (deployed: DeployedJob) => Promise<void> }
  | { allowed: false; reason: string };

/**
 * Evaluates the job's environment name and, when a gate is configured, waits for its decision; `onWaiting` hears
 * what the job waits for. An expression that fails throws EvaluationFailure.
 */
export async function passEnvironmentGate(
  file: string,
  job: JobModel,
  ref: JobRef,
  contexts: Contexts,
  gateJob: GateJob | undefined,
  control: {
    signal: AbortSignal;
    onWaiting(detail: { environment: string; waitingFor: ApprovalWait[] }): void;
  },
): Promise<GatePassage> {
  const name = await evaluateEnvironmentName(file, job, contexts);
  if (name === undefined) return { allowed: true };
  const environment = { name };
  if (!gateJob) return { environment, allowed: true };
  const decision = await gateJob(
    { job: ref, environment },
    {
      signal: control.signal,
      onWaiting: (waitingFor) => control.onWaiting({ environment: name, waitingFor }),
    },
  );
  if (!decision.allowed) return decision;
  return { environment, allowed: true, ...(decision.afterJob ? { afterJob: decision.afterJob } : {}) };
}
