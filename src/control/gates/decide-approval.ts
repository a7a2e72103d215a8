// A reviewer's decision on a run's jobs waiting at environments' gates, checked against each environment's rules:
// the token's scope, the required reviewers, prevent_self_review, and an admin's bypass. Refused attempts are
// recorded too, so the audit trail shows who tried.
import {
  getEnvironment,
  getRun,
  listReviewerGroups,
  recordApprovals,
  recordGateEvent,
  type Approval,
  type Environment,
  type Store,
} from "../../store/index.js";
import { canApprove, type Principal } from "../roles.js";
import { isReviewer } from "./approval-rules.js";
import { describePendingGates, type PendingGate } from "./pending-gates.js";

export interface ApprovalRequest {
  runId: number;
  principal: Principal;
  decision: "approved" | "rejected";
  /** Job ids or keys; default: every job of the run waiting for approval. */
  jobs?: string[];
  environment?: string;
  comment?: string;
  /** Admin only: pass the gate without the reviewers and the wait timer (recorded as a bypass). */
  bypass?: boolean;
}

/** Contract: the codes of refused decisions. */
export type ApprovalErrorCode =
  | "NOT_FOUND"
  | "APPROVAL_NOT_PENDING"
  | "APPROVAL_NO_REVIEWERS"
  | "APPROVAL_NOT_ALLOWED"
  | "APPROVAL_NOT_A_REVIEWER"
  | "APPROVAL_SELF_REVIEW"
  | "APPROVAL_BYPASS_NOT_ALLOWED";

export class ApprovalError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function decideApproval(store: Store, request: ApprovalRequest): Promise<Approval[]> {
  const found = await getRun(store, request.runId);
  if (!found) throw new ApprovalError(404, "NOT_FOUND", `run ${request.runId} does not exist`);
  const { run } = found;
  const pending = (await describePendingGates(store, run)).filter(
    (gate) =>
      (!request.jobs || request.jobs.some((job) => job === gate.jobId || job === gate.key)) &&
      (!request.environment || gate.environment.toLowerCase() === request.environment.toLowerCase()),
  );
  if (pending.length === 0) {
    const which = [request.jobs?.join(", "), request.environment && `environment ${request.environment}`]
      .filter(Boolean)
      .join(" in ");
    throw new ApprovalError(
      409,
      "APPROVAL_NOT_PENDING",
      `run ${run.id} has no job${which ? ` (${which})` : ""} waiting for approval`,
    );
  }
  const byEnvironment = new Map<string, PendingGate[]>();
  for (const gate of pending)
    byEnvironment.set(gate.environment, [...(byEnvironment.get(gate.environment) ?? []), gate]);

  // Every environment is checked before anything is recorded: a decision applies to all the jobs named or none.
  const decisions: { environment: Environment; gates: PendingGate[]; decision: Approval["decision"] }[] = [];
  const groups = await listReviewerGroups(store);
  const { user } = request.principal;
  for (const [name, gates] of byEnvironment) {
    const environment = await getEnvironment(store, run.repositoryId, name);
    const refuse = async (statusCode: number, code: ApprovalErrorCode, message: string) => {
      for (const gate of gates) {
        await recordGateEvent(store, {
          action: "approval:refused",
          runId: run.id,
          attempt: run.attempt,
          jobKey: gate.key,
          environment: name,
          actor: user,
          status: "refused",
          details: { decision: request.decision, code, reason: message },
        });
      }
      return new ApprovalError(statusCode, code, message);
    };
    if (!environment || !canApprove(request.principal, name))
      throw await refuse(
        403,
        "APPROVAL_NOT_ALLOWED",
        `${user}'s token may not review deployments to ${name}`,
      );
    if (request.bypass) {
      if (request.principal.role !== "admin")
        throw await refuse(
          403,
          "APPROVAL_BYPASS_NOT_ALLOWED",
          "only an admin token may bypass protection rules",
        );
      if (!environment.canAdminsBypass)
        throw await refuse(
          403,
          "APPROVAL_BYPASS_NOT_ALLOWED",
          `environment ${name} does not let admins bypass its rules`,
        );
      decisions.push({ environment, gates, decision: "bypassed" });
      continue;
    }
    if (environment.reviewers.length === 0)
      throw await refuse(
        409,
        "APPROVAL_NO_REVIEWERS",
        `environment ${name} has no required reviewers: its jobs wait for its wait timer only (an admin may bypass it)`,
      );
    if (!isReviewer(environment, groups, user))
      throw await refuse(
        403,
        "APPROVAL_NOT_A_REVIEWER",
        `${user} is not a required reviewer of environment ${name}`,
      );
    // GitHub's prevent_self_review: the user who triggered the run may not approve it (rejecting is allowed).
    if (
      request.decision === "approved" &&
      environment.preventSelfReview &&
      user.toLowerCase() === run.actor.toLowerCase()
    )
      throw await refuse(
        403,
        "APPROVAL_SELF_REVIEW",
        `${user} triggered run ${run.id} and environment ${name} prevents self-review: another reviewer must approve`,
      );
    decisions.push({ environment, gates, decision: request.decision });
  }
  const recorded: Approval[] = [];
  for (const { environment, gates, decision } of decisions) {
    recorded.push(
      ...(await recordApprovals(store, {
        runId: run.id,
        attempt: run.attempt,
        environment: environment.name,
        jobKeys: gates.map((gate) => gate.key),
        decision,
        actor: user,
        comment: request.comment,
      })),
    );
  }
  return recorded;
}
