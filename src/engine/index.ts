// The engine's public surface: run a workflow model and observe it through typed events.
export { runWorkflow, newRunId, type RunHandle, type RunOptions } from "./run-workflow.js";
export type { RunResult, JobSummary, StepSummary } from "./run-result.js";
export type {
  RunEvents,
  RunEventName,
  JobRef,
  StepRef,
  JobConclusion,
  StepConclusion,
  StopReason,
} from "./events.js";
export type { RunIdentity, TriggeringEvent, RepositoryIdentity } from "./github-context.js";
