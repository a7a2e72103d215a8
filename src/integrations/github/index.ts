// The GitHub integration's public surface: webhook signatures, repository mirrors, event planning, reporting back,
// jobs' tokens.
export { signPayload, verifySignature } from "./verify-signature.js";
export {
  changedFiles,
  ensureMirror,
  fetchCommit,
  fetchCommits,
  fetchRef,
  GitMirrorError,
  gitMirrorErrorCodes,
  readWorkflowFiles,
  zeroSha,
  type GitMirrorErrorCode,
} from "./git-mirror.js";
export { planEvent, type EventPlan, type PlanEventInput, type TriggeredWorkflow } from "./plan-event.js";
export { pullRequestChangedFiles, pullRequestRefFor } from "./pull-request-commits.js";
export { listRepositoryActivity, type RepositoryActivity } from "./repository-activity.js";
export {
  commitStatusContext,
  createCommitStatusReporter,
  type CommitState,
  type CommitStatus,
  type ReportCommitStatus,
} from "./commit-status.js";
export {
  createCheckRunReporter,
  type CheckConclusion,
  type CheckRunCompletion,
  type CheckRunReporter,
  type NewCheckRun,
} from "./check-run.js";
export { createCommentUpserter, type MarkedComment, type UpsertComment } from "./pull-request-comment.js";
export {
  createGitHubClient,
  type GitHubAuth,
  type GitHubClient,
  type GitHubConnection,
} from "./github-client.js";
export { GitHubError, gitHubErrorCodes, type GitHubErrorCode } from "./github-error.js";
export type { IssuedToken, JobTokenIssuer } from "./installation-token.js";
export {
  jobTokenDefaults,
  jobTokenPermissions,
  type JobTokenDefault,
  type JobTokenPermissionsInput,
  type TokenPermissions,
} from "./job-token-permissions.js";
