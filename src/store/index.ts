// The store's public surface: open, migrations, queries and transition tables (statuses: src/contracts/). Other modules import only this.
export { openStore, type OpenStoreOptions } from "./database.js";
export type { Dialect, Store } from "./store.js";
export type { Database } from "./schema.js";
export { StoreError, type StoreErrorCode } from "./store-error.js";
export { MIGRATIONS, type Migration } from "./migrations/index.js";
export { migrateToLatest } from "./migrator.js";
export { JOB_STATUS_EVENTS, JOB_TRANSITIONS, RUN_STATUS_EVENTS, RUN_TRANSITIONS } from "./transitions.js";
export type { Delivery, IntakeFindings, Job, LogChunk, Run } from "./records.js";
export {
  listenForJobs,
  listenForActivity,
  listenForConcurrency,
  CONCURRENCY_CHANNEL,
  notifyActivity,
  ACTIVITY_CHANNEL,
  JOBS_CHANNEL,
  type Activity,
  type JobListener,
  type ListenOptions,
} from "./notify.js";
export { insertRepository, type NewRepositoryInput, type Repository } from "./queries/insert-repository.js";
export { getRepository } from "./queries/get-repository.js";
export { getRepositoryById } from "./queries/get-repository-by-id.js";
export { listRepositories } from "./queries/list-repositories.js";
export { insertRun, type NewJobInput, type NewRunInput } from "./queries/insert-run.js";
export { claimJob, type ClaimRequest } from "./queries/claim-job.js";
export { renewLease, type RenewLeaseRequest } from "./queries/renew-lease.js";
export { completeJob, type CompleteJobRequest } from "./queries/complete-job.js";
export {
  requeueExpiredLeases,
  type SweepOptions,
  type SweepResult,
} from "./queries/requeue-expired-leases.js";
export { transitionJob, type JobChange, type JobGuard } from "./queries/transition-job.js";
export { transitionRun, type RunChange } from "./queries/transition-run.js";
export { startRunAttempt } from "./queries/start-run-attempt.js";
export { appendLogChunks } from "./queries/append-log-chunks.js";
export { getJobLogs } from "./queries/get-job-logs.js";
export { enqueueDelivery, type EnqueueOutcome, type NewDelivery } from "./queries/enqueue-delivery.js";
export {
  claimDeliveries,
  renewDeliveryLeases,
  type ClaimedDelivery,
  type DeliveryClaim,
} from "./queries/claim-deliveries.js";
export {
  failDeliveryAttempt,
  recordIntakeRuns,
  type DeliveryLease,
  type IntakeRuns,
} from "./queries/finish-delivery.js";
export { requeueDelivery, type DeliveryOffer } from "./queries/requeue-delivery.js";
export { getDelivery } from "./queries/get-delivery.js";
export { listDeliveryPayloads, type DeliveredPayload } from "./queries/list-delivery-payloads.js";
export { readQueueGauges, type QueueGauges } from "./queries/read-queue-gauges.js";
export { getRun } from "./queries/get-run.js";
export { listRuns, type ListRunsFilter } from "./queries/list-runs.js";
export { mintRegistrationToken, defaultRegistrationTokenTtlMs } from "./queries/mint-registration-token.js";
export { registerRunner, type RegisterRunnerInput } from "./queries/register-runner.js";
export { findRunnerByToken, type RunnerRecord } from "./queries/find-runner-by-token.js";
export { insertFinishedJob, type FinishedJobInput } from "./queries/insert-finished-job.js";
export { insertQueuedJob, type QueuedJobInput } from "./queries/insert-queued-job.js";
export { getJob, type QueuedJob } from "./queries/get-job.js";
export { cancelJob } from "./queries/cancel-job.js";
export { claimRunOrchestration, type RunOrchestrationClaim } from "./queries/claim-run-orchestration.js";
export { renewRunOrchestration, type RenewedRun } from "./queries/renew-run-orchestration.js";
export { adoptOrphanedRuns, type AdoptedRun } from "./queries/adopt-orphaned-runs.js";
export { requestRunCancel } from "./queries/request-run-cancel.js";
export { recordStepEvents, type StepEventInput } from "./queries/record-step-events.js";
export { listJobEvents, type JobEventRecord } from "./queries/list-job-events.js";
export {
  recordEvent,
  EVENT_RESOURCE_TYPES,
  type EventResourceType,
  type NewEvent,
} from "./queries/record-event.js";
export { appendEvent } from "./queries/append-event.js";
export { listAuditEvents, type AuditEventFilter, type AuditEventPage } from "./queries/list-audit-events.js";
export { canonicalJson, hashEvent, GENESIS_HASH, type AuditEvent } from "./audit/event-hash.js";
export { streamAuditEvents } from "./audit/stream-audit-events.js";
export { toEventRow } from "./audit/event-row.js";
export {
  readChainHead,
  verifyAuditChain,
  type ChainBreak,
  type ChainBreakKind,
  type ChainHead,
  type ChainVerification,
} from "./audit/verify-chain.js";
export {
  auditDir,
  readCheckpointPublicKey,
  readSignedCheckpoint,
  writeAuditCheckpoint,
  PUBLIC_KEY_FILE,
  type AuditCheckpoint,
} from "./audit/checkpoint.js";
export { getLogTail } from "./queries/get-log-tail.js";
export { listJobSteps, type Step } from "./queries/list-job-steps.js";
export {
  listRunners,
  RUNNER_ONLINE_WINDOW_MS,
  type ListRunnersFilter,
  type RunnerStatus,
} from "./queries/list-runners.js";
export { markRunnerSeen } from "./queries/mark-runner-seen.js";
export { listRepositorySummaries, type RepositorySummary } from "./queries/list-repository-summaries.js";
export { listDeliveries } from "./queries/list-deliveries.js";
export { getSchemaVersion } from "./queries/get-schema-version.js";
export {
  recordJobWait,
  type ApprovalWaitDetail,
  type JobWaitDetail,
  type JobWaitInput,
} from "./queries/record-job-wait.js";
export { clearJobWaits } from "./queries/clear-job-waits.js";
export { listJobWaits, type JobWait } from "./queries/list-job-waits.js";
export {
  CONCURRENCY_EVENTS,
  isSameHolder,
  type ConcurrencyHolder,
  type ConcurrencySlot,
} from "./concurrency-slot.js";
export {
  acquireConcurrencySlot,
  type SlotAcquisition,
  type SlotRequest,
} from "./queries/acquire-concurrency-slot.js";
export { releaseConcurrencySlot } from "./queries/release-concurrency-slot.js";
export { listConcurrencySlots } from "./queries/list-concurrency-slots.js";
export type { ArtifactRecord } from "./artifact-record.js";
export { recordArtifact, type NewArtifact, type RecordArtifactResult } from "./queries/record-artifact.js";
export { listArtifacts } from "./queries/list-artifacts.js";
export { getArtifact } from "./queries/get-artifact.js";
export {
  APPROVAL_DECISIONS,
  BRANCH_POLICIES,
  DEFAULT_RULES,
  DEPLOYMENT_STATUSES,
  MAX_REVIEWERS,
  MAX_WAIT_TIMER_MINUTES,
  formatReviewer,
  parseReviewer,
  type Approval,
  type ApprovalDecision,
  type BranchPolicy,
  type Deployment,
  type DeploymentStatus,
  type Environment,
  type EnvironmentRules,
  type Reviewer,
} from "./environment-record.js";
export { saveEnvironment, type SaveEnvironmentInput } from "./queries/save-environment.js";
export { listEnvironments } from "./queries/list-environments.js";
export { getEnvironment } from "./queries/get-environment.js";
export { saveReviewerGroup, type ReviewerGroup } from "./queries/save-reviewer-group.js";
export { listReviewerGroups } from "./queries/list-reviewer-groups.js";
export { setProtectedBranches } from "./queries/set-protected-branches.js";
export { getProtectedBranches } from "./queries/get-protected-branches.js";
export { recordApprovals, APPROVAL_EVENTS, type ApprovalInput } from "./queries/record-approvals.js";
export { listApprovals } from "./queries/list-approvals.js";
export { recordGateEvent, type GateEventInput } from "./queries/record-gate-event.js";
export { getGateProgress, type GateProgress } from "./queries/get-gate-progress.js";
export { recordDeployment, type DeploymentInput } from "./queries/record-deployment.js";
export { listDeployments } from "./queries/list-deployments.js";
export { API_TOKEN_ROLES, type ApiTokenRecord, type ApiTokenRole } from "./api-token-record.js";
export { createApiToken, type NewApiTokenInput } from "./queries/create-api-token.js";
export { listApiTokens } from "./queries/list-api-tokens.js";
export { revokeApiToken } from "./queries/revoke-api-token.js";
export { authenticateApiToken } from "./queries/authenticate-api-token.js";
export type { SealedSecret, SealedValue, SecretEntry, ValueScope, VariableEntry } from "./secret-record.js";
export { putSecret, type PutSecretInput } from "./queries/put-secret.js";
export { putVariable, type PutVariableInput } from "./queries/put-variable.js";
export { deleteScopedValue, type DeleteScopedValueInput } from "./queries/delete-scoped-value.js";
export { listSecrets } from "./queries/list-secrets.js";
export { listVariables } from "./queries/list-variables.js";
export { readSealedSecrets } from "./queries/read-sealed-secrets.js";
export { resealSecrets, type ResealSecretsInput } from "./queries/reseal-secrets.js";
