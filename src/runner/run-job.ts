// Runs one job instance (one matrix combination): sets up its contexts, runs main steps then post steps, computes outputs.
// It lives in the runner because a remote runner runs whole jobs with no engine or database behind it.
import path from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  evaluateCondition,
  type Contexts,
  type ExpressionValue,
  type JobModel,
  type StepModel,
  type WorkflowModel,
} from "../workflow/index.js";
import type { ActionSource } from "./actions/action-store.js";
import { ContentStore, type ArtifactsAndCaches } from "./content-store/index.js";
import { hashFiles } from "./hash-files.js";
import { anchorInJob } from "./job-files/job-anchor.js";
import { createFileBeneath } from "./job-files/open-beneath.js";
import { JobFileAgent } from "./job-files/job-file-agent.js";
import type { Masker } from "./masker.js";
import type { Executor, JobDirectories, JobNetwork, LogLine } from "./types.js";
import type { EmitJobEvent, JobConclusion, JobRef, StepRef, StopReason } from "./job-events.js";
import {
  buildDefaultVariables,
  buildGithubContext,
  buildRunnerContext,
  type RunIdentity,
  type TriggeringEvent,
} from "./github-context.js";
import { EvaluationFailure, evaluateOrFail, evaluateStringMap } from "./evaluation.js";
import { runStepList, stepsContext, type JobState, type StepListScope, type StepState } from "./step-loop.js";
import type { JobRuntime, NestedSteps, NestedStepsResult, PostStep } from "./step-kinds/step-kind.js";
import { runStepKind } from "./step-kinds/run-step-kind.js";
import { runPreSteps } from "./pre-steps.js";
import {
  isUserContainerFailure,
  JobContainerSession,
  readContainerPlan,
} from "./containers/job-container-setup.js";
import { defaultImageStoreDir, ImageStore } from "./containers/images/index.js";
import { evaluateEnvironmentUrl, type JobEnvironment } from "./job-environment.js";
import { readToolSourceSettings, ToolCache, toolCacheDir, type ToolSourceSettings } from "./tools/index.js";

export interface JobInstanceSpec {
  workflow: WorkflowModel;
  job: JobModel;
  ref: JobRef;
  identity: RunIdentity;
  event: TriggeringEvent;
  /** Contexts fixed for the whole instance: needs, vars, secrets, inputs, matrix, strategy. */
  contexts: Contexts;
  workflowEnv: Record<string, string>;
  executor: Executor;
  /** What the job's processes may reach (default "host"). */
  network?: JobNetwork;
  /** Warnings shown at the top of the job's log, e.g. untrusted code on the host executor. */
  notices?: string[];
  /** The checkout the job's workspace starts as a copy of (local runs). */
  workspace?: string;
  /** Work in `workspace` itself instead of a copy. */
  bindWorkspace?: boolean;
  /** The git repository actions/checkout reads from. */
  sourceRepository?: string;
  /** The image a runs-on label maps to (`--label-map L=docker://IMAGE`): a container job unless it names its own. */
  containerImage?: string;
  dataDir: string;
  /** Artifacts and caches; default: the content store in `dataDir`. */
  content?: ArtifactsAndCaches;
  /** Where setup-node and setup-python look for versions the tool cache lacks; default: HANGAR_TOOL_SOURCES ... */
  toolSources?: ToolSourceSettings;
  /** Refuse remote actions not pinned to a full commit SHA. */
  requirePinnedSha: boolean;
  /** Built-ins run as the real actions from the action store instead. */
  realActions?: readonly string[];
  /** Where a remote action missing from the store is fetched from; absent, none is. */
  actionSource?: ActionSource;
  masker: Masker;
  /** Aborted when the run is cancelled or a fail-fast sibling failed. */
  signal: AbortSignal;
  /** Aborted by a second cancel: even always() steps stop. */
  forceSignal: AbortSignal;
  baseEnv: Record<string, string>;
  runnerName: string;
  stepDebug: boolean;
  emit: EmitJobEvent;
  /** The environment the engine let the job deploy to; its url is evaluated after the steps. */
  environment?: JobEnvironment;
}

export interface JobInstanceResult {
  conclusion: JobConclusion;
  outputs: Record<string, string>;
  reason?: StopReason;
  message?: string;
  /** The job's `environment.url`, evaluated after its steps (only for a job given an environment). */
  environmentUrl?: string;
}

const defaultJobTimeoutMinutes = 360;
/** How long each post step may take; posts run even after a cancel. */
const postStepDeadlineMs = 5 * 60_000;

export async function runJobInstance(spec: JobInstanceSpec): Promise<JobInstanceResult> {
  let containers: JobContainerSession;
  try {
    containers = await openJobContainers(spec);
  } catch (error) {
    return failContainerSetup(spec, error);
  }
  try {
    // A container job's steps run in its container, with the image's environment rather than this machine's.
    const jobSpec = containers.executor ? { ...spec, executor: containers.executor, baseEnv: {} } : spec;
    return await runJobOn(jobSpec, containers);
  } finally {
    await containers.close();
  }
}

/** Evaluates `container:` and `services:` before the job starts and pulls their images. */
async function openJobContainers(spec: JobInstanceSpec): Promise<JobContainerSession> {
  const github = buildGithubContext({
    identity: spec.identity,
    event: spec.event,
    workflowName: spec.workflow.name,
    workflowFile: spec.workflow.file,
    // The workspace is not known yet; GitHub's runner also evaluates these before the job's directories exist.
    workspace: spec.workspace ?? "",
    eventPath: "",
    jobId: spec.job.id,
    token: githubToken(spec.contexts),
  });
  const plan = await readContainerPlan(
    spec.job,
    spec.workflow.file,
    { ...spec.contexts, github },
    (token, contexts) => evaluateOrFail(spec.workflow.file, token, contexts),
    spec.containerImage,
  );
  const onLine = (line: LogLine) => spec.emit("log:line", { job: spec.ref, line });
  return JobContainerSession.open({
    plan,
    store: new ImageStore({ dir: defaultImageStoreDir(spec.dataDir) }),
    baseDir: path.join(spec.dataDir, "containers"),
    network: spec.network ?? "host",
    signal: spec.signal,
    onLine: (line) => onLine({ ...line, text: spec.masker.mask(line.text) }),
    isDryRun: spec.executor.name === "dry-run",
  });
}

function failContainerSetup(spec: JobInstanceSpec, error: unknown): JobInstanceResult {
  const isUsers = error instanceof EvaluationFailure || isUserContainerFailure(error);
  const message = spec.masker.mask(error instanceof Error ? error.message : String(error));
  emitSystemLine(spec, undefined, message);
  return { conclusion: "failure", outputs: {}, message, ...(isUsers ? {} : { reason: "executor_error" }) };
}

async function runJobOn(spec: JobInstanceSpec, containers: JobContainerSession): Promise<JobInstanceResult> {
  let dirs: JobDirectories;
  try {
    dirs = await spec.executor.prepare({
      runId: spec.identity.runId,
      jobKey: spec.ref.key,
      workspace: spec.workspace,
      bindWorkspace: spec.bindWorkspace,
      network: spec.network,
      toolCache: toolCacheDir(spec.dataDir),
    });
  } catch (error) {
    if (containers.executor) return failContainerSetup(spec, error);
    // The executor could not set the job up (no sandbox, no VM): our breakage, reported as the job's end.
    const message = spec.masker.mask(`${spec.executor.name} executor: ${(error as Error).message}`);
    emitSystemLine(spec, undefined, message);
    return { conclusion: "failure", outputs: {}, reason: "executor_error", message };
  }
  try {
    for (const notice of spec.notices ?? []) {
      spec.emit("log:line", {
        job: spec.ref,
        line: { stream: "system", text: notice, annotation: { level: "warning", message: notice } },
      });
    }
    try {
      await containers.startServices();
    } catch (error) {
      return failContainerSetup(spec, error);
    }
    return await runJobIn(spec, dirs, containers);
  } catch (error) {
    const isEvaluation = error instanceof EvaluationFailure;
    const message = isEvaluation ? error.message : `${spec.workflow.file}: ${String(error)}`;
    emitSystemLine(spec, undefined, spec.masker.mask(message));
    return {
      conclusion: "failure",
      outputs: {},
      reason: isEvaluation ? undefined : "executor_error",
      message,
    };
  } finally {
    await containers.emitServiceLogs((line) => spec.emit("log:line", { job: spec.ref, line }));
    await spec.executor.cleanup(dirs);
  }
}

async function runJobIn(
  spec: JobInstanceSpec,
  dirs: JobDirectories,
  containers: JobContainerSession,
): Promise<JobInstanceResult> {
  const { job, workflow } = spec;
  const eventPath = path.join(dirs.fileCommands, "event.json");
  const eventFile = anchorInJob(dirs, eventPath);
  await createFileBeneath(eventFile.anchor, eventFile.relative, JSON.stringify(spec.event.payload));
  const github = buildGithubContext({
    identity: spec.identity,
    event: spec.event,
    workflowName: workflow.name,
    workflowFile: workflow.file,
    workspace: dirs.workspace,
    eventPath,
    jobId: job.id,
    token: githubToken(spec.contexts),
  });
  const runner = buildRunnerContext(spec.runnerName, dirs);
  const posts: PostStep[] = [];
  const preStates = new WeakMap<StepModel, Record<string, string>>();
  const runtimeFor = (file: string): JobRuntime => ({
    ...makeRuntime(spec, dirs, file, posts, runNestedSteps),
    containers,
    preStates,
  });
  const runtime = runtimeFor(workflow.file);
  const jobContexts: Contexts = {
    ...spec.contexts,
    github,
    runner,
    env: spec.workflowEnv,
    job: containers.jobContext(),
  };

  const jobEnv = {
    ...spec.workflowEnv,
    ...(await evaluateStringMap(job.env, jobContexts, runtime.evaluate)),
  };
  const timeoutMinutes = job.timeoutMinutes
    ? Number(await runtime.evaluate(job.timeoutMinutes, jobContexts))
    : defaultJobTimeoutMinutes;
  const jobTimeout = AbortSignal.timeout(timeoutMinutes * 60_000);
  const stopSignal = AbortSignal.any([spec.signal, jobTimeout]);
  const state: JobState = { addedEnv: {}, addedPath: [], failed: false };
  const processEnv = { ...spec.baseEnv, ...buildDefaultVariables(github, runner) };
  if (containers.containerPath !== undefined) processEnv.PATH = containers.containerPath;

  const scopeFor = (
    runtimeFor: JobRuntime,
    contexts: Contexts,
    env: Record<string, string>,
  ): StepListScope => ({
    runtime: runtimeFor,
    state,
    jobRef: spec.ref,
    contexts,
    env,
    defaults: {
      shell: job.defaults.shell ?? workflow.defaults.shell,
      workingDirectory: job.defaults.workingDirectory ?? workflow.defaults.workingDirectory,
    },
    stopSignal,
    forceSignal: spec.forceSignal,
    processEnv,
    emit: spec.emit,
    runStep: runStepKind,
  });
  async function runNestedSteps(nested: NestedSteps): Promise<NestedStepsResult> {
    const nestedRuntime = runtimeFor(nested.file);
    // Composite steps share the job's GITHUB_ENV and PATH but fail only their outer step.
    const nestedState: JobState = { addedEnv: state.addedEnv, addedPath: state.addedPath, failed: false };
    const scope: StepListScope = {
      ...scopeFor(nestedRuntime, nested.contexts, nested.env),
      state: nestedState,
      defaults: {},
      outerStep: nested.outerStep,
    };
    const results = await runStepList(scope, nested.steps);
    return { results, failed: nestedState.failed, firstFailure: nestedState.firstFailure };
  }

  const jobScope = scopeFor(runtime, jobContexts, jobEnv);
  await runPreSteps(jobScope, job.steps);
  const steps = await runStepList(jobScope, job.steps);
  await runPostSteps(spec, posts, state, stopSignal);

  const finalStatus: JobConclusion = state.failed ? "failure" : stopSignal.aborted ? "cancelled" : "success";
  const outputs = await jobOutputs(
    spec,
    runtime,
    { ...jobContexts, env: { ...jobEnv, ...state.addedEnv } },
    steps,
    finalStatus,
  );
  const deployed = await environmentUrlOf(spec, { ...jobContexts, steps: stepsContext(steps) });
  // Like GitHub's runner, a job past its timeout-minutes ends cancelled, not failed.
  if (jobTimeout.aborted) {
    const message = `the job exceeded its timeout-minutes (${timeoutMinutes})`;
    return { conclusion: "cancelled", outputs, reason: "timed_out", message, ...deployed };
  }
  if (spec.signal.aborted && !state.failed)
    return { conclusion: "cancelled", outputs, reason: "cancelled", ...deployed };
  return { conclusion: finalStatus, outputs, message: state.firstFailure, ...deployed };
}

/** A url that fails to evaluate is reported in the log and left out; the job's own result stands. */
async function environmentUrlOf(
  spec: JobInstanceSpec,
  contexts: Contexts,
): Promise<{ environmentUrl?: string }> {
  if (!spec.environment) return {};
  try {
    const url = await evaluateEnvironmentUrl(spec.workflow.file, spec.job, contexts);
    return url ? { environmentUrl: spec.masker.mask(url) } : {};
  } catch (error) {
    emitSystemLine(spec, undefined, spec.masker.mask(`environment url: ${(error as Error).message}`));
    return {};
  }
}

function makeRuntime(
  spec: JobInstanceSpec,
  dirs: JobDirectories,
  file: string,
  posts: PostStep[],
  runNestedSteps: JobRuntime["runNestedSteps"],
): Omit<JobRuntime, "preStates" | "containers"> {
  const files = new JobFileAgent(spec.executor, dirs);
  const hashHost = {
    hashFiles: (patterns: string[]) =>
      hashFiles({ agent: files, workspace: dirs.workspace, signal: spec.signal }, patterns),
  };
  return {
    file,
    dirs,
    files,
    executor: spec.executor,
    masker: spec.masker,
    stepDebug: spec.stepDebug,
    dataDir: spec.dataDir,
    content: spec.content ?? new ContentStore({ dataDir: spec.dataDir }),
    tools: {
      cache: new ToolCache(
        toolCacheDir(spec.dataDir),
        spec.executor.toolCacheIsView ? { view: dirs.toolCache } : {},
      ),
      sources: spec.toolSources ?? readToolSourceSettings(process.env),
    },
    requirePinnedSha: spec.requirePinnedSha,
    realActions: spec.realActions ?? [],
    ...(spec.actionSource ? { actionSource: spec.actionSource } : {}),
    runId: spec.identity.runId,
    sourceRepository: spec.sourceRepository,
    givenWorkspace: spec.workspace,
    evaluate: (token: TemplateToken, contexts: Contexts) => evaluateOrFail(file, token, contexts, hashHost),
    hashFiles: hashHost.hashFiles,
    registerPost: (post) => posts.push(post),
    runNestedSteps,
  };
}

/** Post steps run last, newest first, each with its post-if evaluated against the job's status at that point. */
async function runPostSteps(
  spec: JobInstanceSpec,
  posts: PostStep[],
  state: JobState,
  stopSignal: AbortSignal,
): Promise<void> {
  for (const [offset, post] of [...posts].reverse().entries()) {
    const status = state.failed ? "failure" : stopSignal.aborted ? "cancelled" : "success";
    const ref: StepRef = {
      job: spec.ref,
      index: spec.job.steps.length + offset,
      id: post.stepId,
      name: `Post ${post.name}`,
    };
    const started = Date.now();
    spec.emit("step:started", { step: ref });
    const onLine = (line: LogLine) => spec.emit("log:line", { job: spec.ref, step: ref, line });
    let shouldRun: boolean;
    try {
      shouldRun = await evaluateCondition(post.condition, {}, { status });
    } catch (error) {
      onLine({ stream: "system", text: `post-if '${post.condition}': ${(error as Error).message}` });
      shouldRun = false;
    }
    const signal = AbortSignal.any([spec.forceSignal, AbortSignal.timeout(postStepDeadlineMs)]);
    const result = shouldRun ? await post.run(signal, onLine, {}) : undefined;
    const outcome = result?.outcome ?? "skipped";
    if (outcome === "failure") {
      state.failed = true;
      state.firstFailure ??= result?.error;
    }
    spec.emit("step:finished", {
      step: ref,
      outcome,
      conclusion: outcome,
      durationMs: Date.now() - started,
      message: result?.error,
    });
  }
}

async function jobOutputs(
  spec: JobInstanceSpec,
  runtime: JobRuntime,
  contexts: Contexts,
  steps: Record<string, StepState>,
  status: JobConclusion,
): Promise<Record<string, string>> {
  const outputs = await evaluateStringMap(
    spec.job.outputs,
    { ...contexts, steps: stepsContext(steps), job: { ...asRecord(contexts["job"]), status } },
    runtime.evaluate,
  );
  for (const [name, value] of Object.entries(outputs)) {
    // Per docs "Passing information between jobs": outputs containing secrets are redacted and not sent on.
    if (spec.masker.mask(value) === value) continue;
    delete outputs[name];
    emitSystemLine(spec, undefined, `Skip output '${name}' since it may contain secret.`);
  }
  return outputs;
}

function emitSystemLine(spec: JobInstanceSpec, step: StepRef | undefined, text: string): void {
  spec.emit("log:line", { job: spec.ref, step, line: { stream: "system", text } });
}

function asRecord(value: ExpressionValue | undefined): Record<string, ExpressionValue> {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

function githubToken(contexts: Contexts): string | undefined {
  const token = (contexts["secrets"] as Record<string, ExpressionValue> | undefined)?.["GITHUB_TOKEN"];
  return typeof token === "string" ? token : undefined;
}
