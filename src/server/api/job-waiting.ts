// Why a job has not started yet, in the API's words: the engine's recorded waits (needs, concurrency, approval) for
// jobs it has not queued, and for queued jobs a reading of the runners at request time (none with the labels, all busy).
import type { ApprovalWaitDetail, Job, JobWait, RunnerStatus } from "../../store/index.js";
import type { WaitingReason } from "../../contracts/index.js";

export interface Waiting {
  reason: WaitingReason;
  message: string;
  needs?: string[];
  group?: string;
  labels?: string[];
  runners?: string[];
  environment?: string;
  waitingFor?: ApprovalWaitDetail["waitingFor"];
  since?: string;
}

export function describeJobWait(wait: JobWait): Waiting {
  if (wait.reason === "approval") {
    const { environment, waitingFor } = wait.detail as ApprovalWaitDetail;
    const missing = waitingFor.map((rule) =>
      rule === "reviewers" ? "a reviewer's approval" : "its wait timer",
    );
    return {
      reason: "approval",
      message: `waiting for environment '${environment}': ${missing.join(" and ")}`,
      environment,
      waitingFor,
      since: wait.since,
    };
  }
  if (wait.reason === "needs") {
    const needs = [wait.detail as string[] | string].flat();
    return {
      reason: "needs",
      message: `waiting for ${needs.join(", ")} to finish`,
      needs,
      since: wait.since,
    };
  }
  const group = String(wait.detail);
  return {
    reason: "concurrency",
    message: `waiting for concurrency group '${group}'`,
    group,
    since: wait.since,
  };
}

/** Null when the job is not queued, or an online runner with its labels is free (it is about to be claimed). */
export function explainQueuedJob(job: Job, onlineRunners: readonly RunnerStatus[]): Waiting | null {
  if (job.status !== "queued") return null;
  const labels = job.runsOn;
  // The claim's rule (claim-job.ts): a runner takes a job when it has every one of the job's labels.
  const matching = onlineRunners.filter((runner) => labels.every((label) => runner.labels.includes(label)));
  const wanted = labels.length > 0 ? labels.join(", ") : "(none)";
  if (matching.length === 0) {
    return { reason: "no_runner", message: `no online runner has all of the labels ${wanted}`, labels };
  }
  if (matching.every((runner) => runner.busyJobId !== null)) {
    const runners = matching.map((runner) => runner.name);
    return {
      reason: "runners_busy",
      message: `every online runner with the labels ${wanted} is busy: ${runners.join(", ")}`,
      labels,
      runners,
    };
  }
  return null;
}
