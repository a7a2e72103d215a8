// Judges a job waiting at an environment's gate from the environment's rules and the decisions recorded so far.
// Pure: the caller reads the store and the database's clock.
import type { ApprovalWait } from "../../contracts/index.js";
import type { Environment, GateProgress, ReviewerGroup } from "../../store/index.js";

export type GateJudgement =
  | { state: "passed" }
  | { state: "refused"; reason: string }
  /** `wakeInMs`: when the wait timer ends, if that is what it waits for. */
  | { state: "waiting"; waitingFor: ApprovalWait[]; wakeInMs?: number };

/** GitHub's message for a job whose deployment was rejected. */
export const REJECTED_MESSAGE = "The deployment was rejected or didn't satisfy other protection rules.";

/** Whether `user` is one of the environment's required reviewers, in person or through a group. */
export function isReviewer(
  environment: Environment,
  groups: readonly ReviewerGroup[],
  user: string,
): boolean {
  const wanted = user.toLowerCase();
  return environment.reviewers.some((reviewer) =>
    reviewer.type === "user"
      ? reviewer.name.toLowerCase() === wanted
      : (groups.find((g) => g.name === reviewer.name)?.users ?? []).some((u) => u.toLowerCase() === wanted),
  );
}

export function judgeGate(
  environment: Environment,
  groups: readonly ReviewerGroup[],
  progress: GateProgress,
  options: { runActor: string; timeoutMs: number },
): GateJudgement {
  const decisions = progress.approvals.filter(
    (a) => a.environment.toLowerCase() === environment.name.toLowerCase(),
  );
  if (decisions.some((a) => a.decision === "bypassed")) return { state: "passed" };
  const rejection = decisions.find((a) => a.decision === "rejected");
  if (rejection) {
    const comment = rejection.comment ? `: ${rejection.comment}` : "";
    return { state: "refused", reason: `${REJECTED_MESSAGE} Rejected by ${rejection.actor}${comment}` };
  }
  const waitedMs = progress.reachedAt ? Date.parse(progress.now) - Date.parse(progress.reachedAt) : 0;
  const waitingFor: ApprovalWait[] = [];
  // Approvals count once per reviewer; self-approvals are refused when they are made, and ignored here too.
  const approvers = new Set(
    decisions
      .filter((a) => a.decision === "approved" && isReviewer(environment, groups, a.actor))
      .filter(
        (a) => !environment.preventSelfReview || a.actor.toLowerCase() !== options.runActor.toLowerCase(),
      )
      .map((a) => a.actor.toLowerCase()),
  );
  if (environment.reviewers.length > 0 && approvers.size < environment.requiredApprovals)
    waitingFor.push("reviewers");
  const timerLeftMs = environment.waitTimer * 60_000 - waitedMs;
  if (timerLeftMs > 0) waitingFor.push("wait_timer");
  if (waitingFor.length === 0) return { state: "passed" };
  if (waitedMs >= options.timeoutMs) {
    const days = Math.round(options.timeoutMs / 86_400_000);
    const limit = days > 0 ? `${days} days` : `${options.timeoutMs} ms`;
    const reason = `The job waited for approval to deploy to ${environment.name} longer than ${limit} and timed out.`;
    return { state: "refused", reason };
  }
  return { state: "waiting", waitingFor, ...(timerLeftMs > 0 ? { wakeInMs: timerLeftMs } : {}) };
}
