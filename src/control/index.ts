// The control plane's public surface for the HTTP server and the CLI: intake, scheduling, run orchestration, dispatch,
// gates, secrets, sweepers and metrics. No HTTP here: src/server/ holds the fastify plugins over it.
export { startAuditCheckpointer } from "./audit-checkpointer.js";
export { calledWorkflowReader } from "./called-workflows.js";
export { cancelRun } from "./cancel-run.js";
export { startClusterActivity } from "./cluster-activity.js";
export {
  ApprovalError,
  createEnvironmentGates,
  decideApproval,
  describePendingGates,
} from "./gates/index.js";
export { createGitHubReporter, type GitHubReportMode } from "./github-reporter.js";
export { rerunRun, resumeAdoptedRun, takeDeliveries, takeEvent, type IntakeDeps } from "./intake.js";
export { startIntakeWorker, type IntakeWorkerOptions } from "./intake-worker.js";
export { JobActivity } from "./job-activity.js";
export { createJobTokens } from "./job-tokens.js";
export {
  startLeaseSweeper,
  type LeaseSweeper,
  type LeaseSweeperOptions,
  type RunnerLostPolicy,
} from "./lease-sweeper.js";
export { startOrchestrationSweeper } from "./orchestration-sweeper.js";
export { startReconciler, type ReconcilerOptions } from "./reconciler.js";
export { resolveResilience, type ResilienceConfig } from "./resilience-config.js";
export { canApprove, hasRole, type Principal } from "./roles.js";
export { createRunLauncher, type RunLauncher } from "./run-launcher.js";
export { createScheduler, type Scheduler } from "./scheduler.js";
export * from "./secrets/index.js";
export { createServerMetrics, type ServerMetrics } from "./server-metrics.js";
export { startStoreConcurrency } from "./store-concurrency.js";
export { createQueueDispatch } from "./queue-dispatch.js";
export { createWaitRecorder } from "./wait-recorder.js";
export { createWorkflowPool, type WorkflowPool } from "./workflow-pool/index.js";
