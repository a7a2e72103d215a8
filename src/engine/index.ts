// The engine's public surface: run a workflow model and observe it through typed events.
export { runWorkflow, newRunId, type RunHandle, type RunOptions } from "./run-workflow.js";
export type { RunResult, JobSummary, StepSummary } from "./run-result.js";
export { instanceKey } from "./run-job-graph.js";
export { isWorkflowRef } from "./workflow-env.js";
export {
  ConcurrencyGroups,
  type Admission,
  type ConcurrencyControl,
  type ConcurrencyRequest,
} from "./concurrency-groups.js";
export type { RunEvents, RunEventName, RunEventListener, WaitingJobRef } from "./events.js";
export type { DeployedJob, GateControl, GateDecision, GateJob, GateRequest } from "./environment-gate.js";
export type {
  JobRef,
  StepRef,
  JobConclusion,
  StepConclusion,
  StopReason,
  RunIdentity,
  TriggeringEvent,
  RepositoryIdentity,
} from "../runner/index.js";
