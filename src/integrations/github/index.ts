// The GitHub integration's public surface: webhook signatures, repository mirrors, event planning, commit statuses.
export { signPayload, verifySignature } from "./verify-signature.js";
export {
  changedFiles,
  ensureMirror,
  fetchCommit,
  fetchRef,
  GitMirrorError,
  gitMirrorErrorCodes,
  readWorkflowFiles,
  zeroSha,
  type GitMirrorErrorCode,
} from "./git-mirror.js";
export { planEvent, type EventPlan, type PlanEventInput, type TriggeredWorkflow } from "./plan-event.js";
export {
  CommitStatusError,
  commitStatusContext,
  commitStatusErrorCodes,
  createCommitStatusReporter,
  type CommitState,
  type CommitStatus,
  type CommitStatusErrorCode,
  type GitHubConnection,
  type ReportCommitStatus,
} from "./commit-status.js";
