// The runner's public surface: other modules import only from here.
export type * from "./types.js";
export { HostExecutor, killGracePeriodMs, type HostExecutorOptions } from "./executors/host-executor.js";
export { DryRunExecutor } from "./executors/dry-run-executor.js";
export { runScriptStep, type ScriptStepSpec } from "./run-script-step.js";
export { Masker, minimumMaskLength } from "./masker.js";
export { LineSplitter } from "./line-splitter.js";
export { hashFiles, hashFilesTimeoutMs, type HashFilesHost } from "./hash-files.js";
export { FileAgentRefusal, JobFileAgent } from "./job-files/job-file-agent.js";
export { resolveShell, getScriptExtension, fixUpScript, splitArguments } from "./shell.js";
export type { ResolvedShell, ShellResolution, WhichFunction } from "./shell.js";
export { findExecutable } from "./find-executable.js";
export {
  createEnvFiles,
  envFileKinds,
  getEnvFileVariables,
  parseKeyValueFile,
  parsePathFile,
  readEnvFile,
  removeEnvFiles,
  stepSummaryLimitBytes,
} from "./env-files.js";
export type { EnvFileKind, EnvFilePaths, EnvFileProblem, KeyValueParse } from "./env-files.js";
export { parseWorkflowCommand, WorkflowCommandReader, workflowCommandNames } from "./workflow-commands.js";
export type { ReadLine, WorkflowCommand, WorkflowCommandName } from "./workflow-commands.js";
export { OutputProcessor, type OutputProcessorOptions } from "./output-processor.js";
export { RunnerError, runnerErrorCodes, type RunnerErrorCode } from "./runner-error.js";
export { runJobInstance } from "./run-job.js";
export { EvaluationFailure, evaluateIf, evaluateOrFail, evaluateStringMap } from "./evaluation.js";
export type { JobInstanceSpec, JobInstanceResult } from "./run-job.js";
export type * from "./job-events.js";
export { buildGithubContext, buildRunnerContext, buildDefaultVariables } from "./github-context.js";
export type {
  RunIdentity,
  TriggeringEvent,
  RepositoryIdentity,
  GithubContextInput,
} from "./github-context.js";

export { runProcessStep, failBeforeStart, type ProcessStepSpec, type StepIo } from "./run-process-step.js";
export { loadAction, evaluateActionInputs, ActionLoadError } from "./actions/load-action.js";
export type { LoadedAction, ActionLoadProblem, ActionInputs } from "./actions/load-action.js";
export { addAction, listActions, resolveAction } from "./actions/action-store.js";
export { readCalledWorkflow, type CalledWorkflowSources } from "./actions/read-called-workflow.js";
export type { StoredAction, ResolvedAction, ActionPolicy, ActionSource } from "./actions/action-store.js";
export { collectActionGarbage, type ActionGcReport } from "./actions/collect-action-garbage.js";
export {
  parseActionReference,
  formatActionReference,
  isFullSha,
  type ActionReference,
} from "./actions/action-reference.js";
export {
  ActionStoreError,
  actionStoreErrorCodes,
  type ActionStoreErrorCode,
} from "./actions/action-store-error.js";
export { runNodeAction, type NodeActionRun, type NodeActionPhase } from "./step-kinds/node-action.js";
export { builtinActions } from "./step-kinds/classify-step.js";
export * from "./content-store/index.js";
export { HangarError } from "./hangar-error.js";
export {
  runJobRequest,
  type JobPermissions,
  type JobRequest,
  type RunnerHost,
  type RunnerPlacement,
  type JobControl,
} from "./job-request.js";
export { newSecretPlaceholderTag, secretPlaceholder, type DeliveredSecrets } from "./job-secrets.js";
export { evaluateEnvironmentName, evaluateEnvironmentUrl, type JobEnvironment } from "./job-environment.js";
export * from "./remote/index.js";
export { isForkPullRequestRun, isFromFork } from "./pull-request-origin.js";
export {
  executorKinds,
  parseExecutorKind,
  parseLabelRoutes,
  routeFor,
  type ExecutorKind,
  type LabelRoute,
} from "./executors/executor-routing.js";
export { MicroVmExecutor, type MicroVmExecutorOptions } from "./executors/microvm/microvm-executor.js";
export {
  buildGuestImage,
  readGuestImage,
  defaultKernelPackage,
  type GuestImage,
  type GuestImageManifest,
  type GuestImageOptions,
} from "./executors/microvm/guest-image.js";
export {
  ContainerError,
  containerErrorCodes,
  type ContainerErrorCode,
} from "./containers/container-error.js";
export { ContainerExecutor, type ContainerExecutorOptions } from "./containers/container-executor.js";
export { JobContainers, jobContainerName } from "./containers/runtime/job-containers.js";
export { reclaimDeadJobNetworks } from "./containers/runtime/reclaim-job-networks.js";
export type {
  RuntimeImage,
  ContainerDefinition,
  ServiceDefinition,
  StartedContainer,
  JobContainersOptions,
} from "./containers/runtime/job-containers.js";
export {
  parseContainerOptions,
  parsePortMapping,
  parseVolume,
  parseDuration,
  parseBytes,
} from "./containers/runtime/container-options.js";
export type {
  ContainerOptions,
  HealthCheck,
  PortMapping,
  VolumeMount,
} from "./containers/runtime/container-options.js";
export type { ResourceLimits } from "./containers/runtime/oci-spec.js";
export {
  SandboxExecutor,
  createSandboxExecutor,
  type SandboxExecutorOptions,
  type SandboxJobInfo,
} from "./executors/sandbox/sandbox-executor.js";
export {
  defaultSandboxLimits,
  type SandboxLimits,
  type CgroupVersion,
} from "./executors/sandbox/job-cgroups.js";
export { probeSandbox, formatSandboxProbe, type SandboxProbe } from "./executors/sandbox/probe-sandbox.js";
export { seccompDeniedSyscalls } from "./executors/sandbox/seccomp-filter.js";
export * from "./containers/images/index.js";
export {
  goSourcesFor,
  javaArch,
  javaDistributionName,
  javaKind,
  javaSourcesFor,
  nodeSourcesFor,
  parsePythonSpec,
  pythonSourcesFor,
  readToolSourceSettings,
  setUpGo,
  setUpJava,
  setUpNode,
  setUpPython,
  ToolCache,
  toolCacheDir,
  ToolError,
  toolErrorCodes,
  toolSourceKinds,
  type InstalledTool,
  type ToolErrorCode,
  type ToolSourceSettings,
} from "./tools/index.js";
