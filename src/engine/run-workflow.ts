// Runs a planned workflow: schedules jobs as their needs finish, expands matrices, applies job ifs and fail-fast.
import { randomUUID } from "node:crypto";
import os from "node:os";
import {
  ancestorsOf,
  evaluateToken,
  toDisplayString,
  type Contexts,
  type JobModel,
  type WorkflowModel,
} from "../workflow/index.js";
import {
  buildGithubContext,
  EvaluationFailure,
  Masker,
  runJobRequest,
  type JobConclusion,
} from "../runner/index.js";
import type { RunEventListener, RunEventName, RunEvents } from "./events.js";
import type { RunOptions } from "./run-options.js";
import { aggregateConclusion, runJobGraph, waitingRef, type RunShared } from "./run-job-graph.js";
import { Semaphore } from "./semaphore.js";
import { collectRunResult, type RunResult } from "./run-result.js";
import { evaluateWorkflowEnv, reportWorkflowFailure } from "./workflow-env.js";
import { admitToConcurrencyGroup } from "./admit-concurrency.js";
import { runCalledWorkflow } from "./call-workflow.js";

export type { RunOptions };

export interface RunHandle {
  readonly runId: string;
  on<E extends RunEventName>(event: E, listener: RunEventListener<E>): void;
  cancel(): void;
  readonly result: Promise<RunResult>;
}

export function runWorkflow(workflow: WorkflowModel, options: RunOptions): RunHandle {
  const listeners = new Map<RunEventName, ((payload: never) => void)[]>();
  const cancelController = new AbortController();
  const forceController = new AbortController();
  const emit = <E extends RunEventName>(event: E, payload: RunEvents[E]) => {
    for (const listener of listeners.get(event) ?? []) (listener as RunEventListener<E>)(payload);
  };
  const runId = options.identity.runId;
  const recorder = collectRunResult(
    runId,
    workflow.name,
    workflow.jobs.map((j) => j.id),
  );
  for (const name of recorder.events) {
    listeners.set(name, [recorder.listener as (payload: never) => void]);
  }
  const result = (async () => {
    // Listeners are attached synchronously by the caller before the first event goes out.
    await Promise.resolve();
    const conclusion = await executeRun(
      workflow,
      options,
      () => cancelController.abort(),
      cancelController.signal,
      forceController.signal,
      emit,
    );
    emit("run:finished", { runId, conclusion });
    return recorder.finish(conclusion);
  })();
  return {
    runId,
    on(event, listener) {
      const list = listeners.get(event) ?? [];
      list.push(listener as (payload: never) => void);
      listeners.set(event, list);
    },
    // A second cancel stops the steps that run after a cancel, too.
    cancel: () => (cancelController.signal.aborted ? forceController : cancelController).abort(),
    result,
  };
}

async function executeRun(
  workflow: WorkflowModel,
  options: RunOptions,
  cancel: () => void,
  cancelSignal: AbortSignal,
  forceSignal: AbortSignal,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): Promise<JobConclusion> {
  const masker = new Masker();
  for (const value of Object.values(options.secrets ?? {})) masker.add(value);
  const github = buildGithubContext({
    identity: options.identity,
    event: options.event,
    workflowName: workflow.name,
    workflowFile: workflow.file,
    workspace: options.workspace ?? "",
    eventPath: "",
    jobId: "",
    ...(options.secrets?.["GITHUB_TOKEN"] ? { token: options.secrets["GITHUB_TOKEN"] } : {}),
  });
  const contexts: Contexts = {
    github,
    inputs: options.inputs ?? {},
    vars: options.vars ?? {},
    secrets: { ...options.secrets },
  };
  const workflowEnv = await evaluateWorkflowEnv(workflow, contexts, masker, emit);
  const runName = workflow.runName
    ? toDisplayString(await evaluateToken(workflow.runName, contexts).catch(() => workflow.name))
    : workflow.name;
  emit("run:started", { runId: options.identity.runId, workflow: runName, event: options.event.name });
  if (workflowEnv === undefined) return "failure";
  let admission: Awaited<ReturnType<typeof admitToConcurrencyGroup>>;
  try {
    // The whole run waits for its workflow's group: each job it would run waits for it.
    const onWait = (group: string) => {
      for (const job of selectJobs(workflow.jobs, options.jobs)) {
        emit("job:waiting", {
          job: waitingRef({ keyPrefix: "" }, job),
          reason: "concurrency",
          detail: group,
        });
      }
    };
    admission = await admitToConcurrencyGroup(workflow.file, workflow.concurrency, contexts, options, {
      cancel,
      onWait,
      signal: cancelSignal,
    });
  } catch (error) {
    if (!(error instanceof EvaluationFailure)) throw error;
    reportWorkflowFailure(error, masker, emit);
    return "failure";
  }
  if (!admission.admitted) return "cancelled";
  try {
    return await runJobs(workflow, options, contexts, workflowEnv, masker, cancelSignal, forceSignal, emit);
  } finally {
    await admission.release();
  }
}

async function runJobs(
  workflow: WorkflowModel,
  options: RunOptions,
  contexts: Contexts,
  workflowEnv: Record<string, string>,
  masker: Masker,
  cancelSignal: AbortSignal,
  forceSignal: AbortSignal,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): Promise<JobConclusion> {
  const shared: RunShared = {
    options,
    masker,
    jobSlots: new Semaphore(options.maxParallel ?? os.availableParallelism()),
    cancelSignal,
    forceSignal,
    emit,
    callWorkflow: runCalledWorkflow,
    dispatchJob: options.dispatchJob
      ? options.dispatchJob
      : (request, control) =>
          runJobRequest(
            request,
            {
              executor: options.executor,
              executorsByLabel: options.executorsByLabel,
              imagesByLabel: options.imagesByLabel,
              network: options.network,
              warn: options.warn,
              dataDir: options.dataDir,
              baseEnv: options.baseEnv ?? {},
              runnerName: options.runnerName ?? `hangar-${os.hostname()}`,
              stepDebug: options.stepDebug ?? false,
              workspace: options.workspace,
              bindWorkspace: options.bindWorkspace,
              sourceRepository: options.sourceRepository,
              toolSources: options.toolSources,
            },
            control,
          ),
  };
  const jobs = selectJobs(workflow.jobs, options.jobs);
  const outcomes = await runJobGraph(
    { workflow, jobs, contexts, workflowEnv, keyPrefix: "", depth: 1 },
    shared,
  );
  return aggregateConclusion([...outcomes.values()].map((o) => o.result).filter((r) => r !== "skipped"));
}

function selectJobs(jobs: JobModel[], wanted: string[] | undefined): JobModel[] {
  if (!wanted || wanted.length === 0) return jobs;
  const keep = new Set<string>();
  for (const id of wanted) {
    keep.add(id);
    for (const ancestor of ancestorsOf(jobs, id)) keep.add(ancestor);
  }
  return jobs.filter((j) => keep.has(j.id));
}

export function newRunId(): string {
  return randomUUID();
}
