// Environments, approvals and deployments as queries return them, their row decoders, and the rules' limits.
import type { Selectable } from "kysely";
import type { ApprovalsTable, DeploymentsTable, EnvironmentsTable } from "./schema.js";
import { StoreError } from "./store-error.js";

/** A required reviewer: one user, or a reviewer group any of whose users may review (GitHub's teams). */
export interface Reviewer {
  type: "user" | "group";
  name: string;
}

/** Contract: how an environment limits the refs that may deploy to it (GitHub's deployment branch policy). */
export const BRANCH_POLICIES = ["all", "protected", "custom"] as const;
export type BranchPolicy = (typeof BRANCH_POLICIES)[number];

/** The protection rules, named as in GitHub's "Create or update an environment". */
export interface EnvironmentRules {
  reviewers: Reviewer[];
  /** How many distinct reviewers must approve; GitHub needs one. */
  requiredApprovals: number;
  /** The run's actor may not approve its own deployment. */
  preventSelfReview: boolean;
  /** Minutes a job waits at the gate before it may run. */
  waitTimer: number;
  branchPolicy: BranchPolicy;
  /** With `custom`: branch and tag name patterns (refs/heads/… or refs/tags/… matched without the prefix). */
  branchPatterns: string[];
  /** An admin may bypass the rules (recorded as a bypass). */
  canAdminsBypass: boolean;
}

export interface Environment extends EnvironmentRules {
  id: number;
  repositoryId: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Contract: a decision on a job waiting for an environment. */
export const APPROVAL_DECISIONS = ["approved", "rejected", "bypassed"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

export interface Approval {
  id: number;
  runId: number;
  attempt: number;
  jobKey: string;
  environment: string;
  decision: ApprovalDecision;
  actor: string;
  comment: string;
  createdAt: string;
}

/** Contract: a deployment's status, from the conclusion of the job that deployed. */
export const DEPLOYMENT_STATUSES = ["success", "failure", "cancelled"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export interface Deployment {
  id: number;
  repositoryId: number;
  environment: string;
  ref: string;
  sha: string;
  runId: number;
  attempt: number;
  jobKey: string;
  status: DeploymentStatus;
  url: string | null;
  createdAt: string;
  updatedAt: string;
}

/** GitHub's limits: six reviewers, a wait timer of at most 30 days (43,200 minutes). */
export const MAX_REVIEWERS = 6;
export const MAX_WAIT_TIMER_MINUTES = 43_200;

export const DEFAULT_RULES: EnvironmentRules = {
  reviewers: [],
  requiredApprovals: 1,
  preventSelfReview: false,
  waitTimer: 0,
  branchPolicy: "all",
  branchPatterns: [],
  canAdminsBypass: true,
};

/** Throws STORE_INVALID_ARGUMENT naming the first field that breaks GitHub's limits. */
export function validateRules(rules: EnvironmentRules): void {
  const fail = (field: string, message: string) => {
    throw new StoreError("STORE_INVALID_ARGUMENT", `${field}: ${message}`);
  };
  if (rules.reviewers.length > MAX_REVIEWERS)
    fail("reviewers", `at most ${MAX_REVIEWERS} reviewers, got ${rules.reviewers.length}`);
  for (const reviewer of rules.reviewers) {
    if (!/^[\w.@-]+$/.test(reviewer.name))
      fail("reviewers", `'${reviewer.name}' is not a user or group name`);
  }
  if (
    !Number.isInteger(rules.requiredApprovals) ||
    rules.requiredApprovals < 1 ||
    rules.requiredApprovals > 6
  )
    fail("required_approvals", `must be an integer from 1 to 6, got ${rules.requiredApprovals}`);
  if (rules.reviewers.length > 0 && rules.requiredApprovals > countPossibleApprovers(rules.reviewers))
    fail("required_approvals", `${rules.requiredApprovals} approvals need at least as many reviewers`);
  if (!Number.isInteger(rules.waitTimer) || rules.waitTimer < 0 || rules.waitTimer > MAX_WAIT_TIMER_MINUTES)
    fail("wait_timer", `must be whole minutes from 0 to ${MAX_WAIT_TIMER_MINUTES}, got ${rules.waitTimer}`);
  if (!(BRANCH_POLICIES as readonly string[]).includes(rules.branchPolicy))
    fail("branch_policy", `must be one of ${BRANCH_POLICIES.join(", ")}, got '${rules.branchPolicy}'`);
  if (rules.branchPolicy === "custom" && rules.branchPatterns.length === 0)
    fail("branch_patterns", "the custom policy needs at least one branch or tag pattern");
  for (const pattern of rules.branchPatterns) {
    if (pattern.trim() === "") fail("branch_patterns", "a pattern is empty");
  }
}

/** A group may bring several approvers; its size is unknown here, so it counts as unbounded. */
function countPossibleApprovers(reviewers: Reviewer[]): number {
  return reviewers.some((r) => r.type === "group") ? Infinity : reviewers.length;
}

/** `alice` is a user, `group:ops` a reviewer group. */
export function parseReviewer(text: string): Reviewer {
  const trimmed = text.trim();
  return trimmed.startsWith("group:")
    ? { type: "group", name: trimmed.slice("group:".length) }
    : { type: "user", name: trimmed };
}

export function formatReviewer(reviewer: Reviewer): string {
  return reviewer.type === "group" ? `group:${reviewer.name}` : reviewer.name;
}

export function toEnvironment(row: Selectable<EnvironmentsTable>): Environment {
  return {
    id: Number(row.id),
    repositoryId: Number(row.repository_id),
    name: row.name,
    reviewers: JSON.parse(row.reviewers) as Reviewer[],
    requiredApprovals: row.required_approvals,
    preventSelfReview: Boolean(row.prevent_self_review),
    waitTimer: row.wait_timer,
    branchPolicy: row.branch_policy,
    branchPatterns: JSON.parse(row.branch_patterns) as string[],
    canAdminsBypass: Boolean(row.can_admins_bypass),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toApproval(row: Selectable<ApprovalsTable>): Approval {
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    attempt: row.attempt,
    jobKey: row.job_key,
    environment: row.environment,
    decision: row.decision,
    actor: row.actor,
    comment: row.comment,
    createdAt: row.created_at,
  };
}

export function toDeployment(row: Selectable<DeploymentsTable>): Deployment {
  return {
    id: Number(row.id),
    repositoryId: Number(row.repository_id),
    environment: row.environment,
    ref: row.ref,
    sha: row.sha,
    runId: Number(row.run_id),
    attempt: row.attempt,
    jobKey: row.job_key,
    status: row.status,
    url: row.url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
