// Runs a planned workflow: schedules jobs as their needs finish, expands matrices, applies job ifs and fail-fast.
import { randomUUID } from "node:crypto";
import os from "node:os";
import {
  ancestorsOf,
  evaluateToken,
  expandMatrix,
  isTruthy,
  toDisplayString,
  type Combination,
  type Contexts,
  type ExpressionValue,
  type JobModel,
  type MatrixValue,
  type WorkflowModel,
} from "../workflow/index.js";
import {
  buildGithubContext,
  EvaluationFailure,
  evaluateIf,
  evaluateOrFail,
  Masker,
  runJobInstance,
  type Executor,
  type JobConclusion,
  type JobInstanceResult,
  type JobRef,
  type RunIdentity,
  type StopReason,
  type TriggeringEvent,
} from "../runner/index.js";
import type { RunEventListener, RunEventName, RunEvents } from "./events.js";
import { Semaphore } from "./semaphore.js";
import { collectRunResult, type RunResult } from "./run-result.js";

export interface RunOptions {
  executor: Executor;
  identity: RunIdentity;
  event: TriggeringEvent;
  inputs?: Record<string, ExpressionValue>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Run in this directory instead of a fresh workspace per job. */
  workspace?: string;
  /** The git repository actions/checkout reads from. */
  sourceRepository?: string;
  /** Hangar's data directory: action store, artifacts, caches. */
  dataDir: string;
  /** Only these jobs (and the jobs they need, so that `needs` outputs exist). */
  jobs?: string[];
  /** Job instances running at once; defaults to the number of cores. */
  maxParallel?: number;
  /** The environment processes inherit before GitHub's variables and `env:` apply. */
  baseEnv?: Record<string, string>;
  runnerName?: string;
  stepDebug?: boolean;
}

export interface RunHandle {
  readonly runId: string;
  on<E extends RunEventName>(event: E, listener: RunEventListener<E>): void;
  cancel(): void;
  readonly result: Promise<RunResult>;
}

interface JobOutcome {
  /** What `needs.<id>.result` shows: continue-on-error turns a failure into success, as on GitHub. */
  result: JobConclusion;
  outputs: Record<string, string>;
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
  cancelSignal: AbortSignal,
  forceSignal: AbortSignal,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): Promise<JobConclusion> {
  const masker = new Masker();
  for (const value of Object.values(options.secrets ?? {})) masker.add(value);
  const jobSlots = new Semaphore(options.maxParallel ?? os.availableParallelism());
  const github = buildGithubContext({
    identity: options.identity,
    event: options.event,
    workflowName: workflow.name,
    workflowFile: workflow.file,
    workspace: options.workspace ?? "",
    eventPath: "",
    jobId: "",
  });
  const runContexts: Contexts = {
    github,
    inputs: options.inputs ?? {},
    vars: options.vars ?? {},
    secrets: { ...options.secrets },
  };
  const workflowEnv = await evaluateWorkflowEnv(workflow, runContexts, masker, emit);
  const runName = workflow.runName
    ? toDisplayString(await evaluateToken(workflow.runName, runContexts).catch(() => workflow.name))
    : workflow.name;
  emit("run:started", { runId: options.identity.runId, workflow: runName, event: options.event.name });
  if (workflowEnv === undefined) return "failure";

  const selected = selectJobs(workflow.jobs, options.jobs);
  const outcomes = new Map<string, Promise<JobOutcome>>();
  const concluded = new Map<string, JobConclusion>();

  const outcomeOf = (job: JobModel): Promise<JobOutcome> => {
    let pending = outcomes.get(job.id);
    if (!pending) {
      pending = (async () => {
        const needs = selected.filter((j) => job.needs.includes(j.id));
        const needOutcomes = await Promise.all(needs.map(outcomeOf));
        const outcome = await runJob(job, new Map(needs.map((n, i) => [n.id, needOutcomes[i]!])));
        return outcome;
      })();
      outcomes.set(job.id, pending);
    }
    return pending;
  };

  const runJob = async (job: JobModel, needs: Map<string, JobOutcome>): Promise<JobOutcome> => {
    const needsContext: Record<string, ExpressionValue> = {};
    for (const [id, outcome] of needs)
      needsContext[id] = { result: outcome.result, outputs: outcome.outputs };
    const contexts: Contexts = { ...runContexts, needs: needsContext };
    const failedAncestor = [...ancestorsOf(workflow.jobs, job.id)].some(
      (id) => concluded.get(id) === "failure",
    );
    const allNeedsSucceeded = [...needs.values()].every((n) => n.result === "success");
    // Per docs "Using conditions to control job execution": success() needs every need to have succeeded,
    // failure() any ancestor to have failed; a skipped need makes both false.
    const status = cancelSignal.aborted
      ? "cancelled"
      : failedAncestor
        ? "failure"
        : allNeedsSucceeded
          ? "success"
          : "skipped";
    const jobRef: JobRef = { jobId: job.id, key: job.id, name: job.id, index: 0 };
    const skip = (reason?: StopReason, message?: string): JobOutcome => {
      emit("job:finished", {
        job: jobRef,
        conclusion: "skipped",
        outputs: {},
        durationMs: 0,
        reason,
        message,
      });
      concluded.set(job.id, "skipped");
      return { result: "skipped", outputs: {} };
    };
    const fail = (message: string): JobOutcome => {
      emit("job:finished", { job: jobRef, conclusion: "failure", outputs: {}, durationMs: 0, message });
      concluded.set(job.id, "failure");
      return { result: "failure", outputs: {} };
    };

    let combinations: Combination[];
    let strategy: Record<string, ExpressionValue>;
    try {
      const shouldRun = await evaluateIf(workflow.file, job.if, contexts, { status });
      if (!shouldRun) return skip(status === "success" ? undefined : "dependency_failed");
      if (job.uses)
        return fail(
          `${workflow.file}: job '${job.id}' calls a reusable workflow, which is not supported yet`,
        );
      const strategyValue = job.strategy ? await evaluateOrFail(workflow.file, job.strategy, contexts) : {};
      strategy = isObject(strategyValue) ? strategyValue : {};
      const matrix = strategy["matrix"];
      const expansion = isObject(matrix)
        ? expandMatrix(matrix as Record<string, MatrixValue>)
        : { combinations: [{}] };
      if (expansion.error) return fail(`${workflow.file}: job '${job.id}': ${expansion.error}`);
      combinations = expansion.combinations;
    } catch (error) {
      if (error instanceof EvaluationFailure) return fail(error.message);
      throw error;
    }

    const failFast = strategy["fail-fast"] === undefined ? true : isTruthy(strategy["fail-fast"]);
    const maxParallel = Number(strategy["max-parallel"] ?? combinations.length) || combinations.length;
    const matrixSlots = new Semaphore(maxParallel);
    const failFastController = new AbortController();
    const signal = AbortSignal.any([cancelSignal, failFastController.signal]);
    const outputs: Record<string, string> = {};
    const instanceResults = await Promise.all(
      combinations.map((matrix, index) =>
        matrixSlots.use(() =>
          jobSlots.use(async (): Promise<JobInstanceResult & { continuedOnError: boolean }> => {
            const instanceContexts: Contexts = {
              ...contexts,
              matrix,
              strategy: {
                "fail-fast": failFast,
                "job-index": index,
                "job-total": combinations.length,
                "max-parallel": maxParallel,
              },
            };
            const ref = await instanceRef(workflow, job, matrix, index, instanceContexts);
            if (signal.aborted) {
              const reason: StopReason =
                failFastController.signal.aborted && !cancelSignal.aborted ? "fail_fast" : "cancelled";
              emit("job:finished", { job: ref, conclusion: "cancelled", outputs: {}, durationMs: 0, reason });
              return { conclusion: "cancelled", outputs: {}, reason, continuedOnError: false };
            }
            const started = Date.now();
            emit("job:started", { job: ref });
            let continueOnError = false;
            let instance: JobInstanceResult;
            try {
              continueOnError = job.continueOnError
                ? isTruthy(await evaluateOrFail(workflow.file, job.continueOnError, instanceContexts))
                : false;
              instance = await runJobInstance({
                workflow,
                job,
                ref,
                identity: options.identity,
                event: options.event,
                contexts: instanceContexts,
                workflowEnv,
                executor: options.executor,
                workspace: options.workspace,
                sourceRepository: options.sourceRepository,
                dataDir: options.dataDir,
                masker,
                signal,
                forceSignal,
                baseEnv: options.baseEnv ?? {},
                runnerName: options.runnerName ?? `hangar-${os.hostname()}`,
                stepDebug: options.stepDebug ?? false,
                emit: (event, payload) => emit(event, payload as RunEvents[typeof event]),
              });
            } catch (error) {
              if (!(error instanceof EvaluationFailure)) throw error;
              instance = { conclusion: "failure", outputs: {}, message: error.message };
            }
            if (instance.conclusion === "failure" && failFast && !continueOnError) failFastController.abort();
            Object.assign(outputs, instance.outputs);
            emit("job:finished", {
              job: ref,
              conclusion: instance.conclusion,
              outputs: instance.outputs,
              durationMs: Date.now() - started,
              reason: instance.reason,
              message: instance.message,
              continuedOnError: continueOnError && instance.conclusion === "failure",
            });
            return { ...instance, continuedOnError: continueOnError };
          }),
        ),
      ),
    );
    const conclusion = aggregateConclusion(instanceResults.map((r) => r.conclusion));
    const tolerated = instanceResults.every((r) => r.conclusion !== "failure" || r.continuedOnError);
    const result: JobConclusion = conclusion === "failure" && tolerated ? "success" : conclusion;
    concluded.set(job.id, result);
    return { result, outputs };
  };

  await Promise.all(selected.map(outcomeOf));
  return aggregateConclusion([...concluded.values()].filter((c) => c !== "skipped"));
}

function aggregateConclusion(conclusions: JobConclusion[]): JobConclusion {
  if (conclusions.includes("failure")) return "failure";
  if (conclusions.includes("cancelled")) return "cancelled";
  return "success";
}

async function evaluateWorkflowEnv(
  workflow: WorkflowModel,
  contexts: Contexts,
  masker: Masker,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): Promise<Record<string, string> | undefined> {
  if (!workflow.env) return {};
  try {
    const value = await evaluateOrFail(workflow.file, workflow.env, contexts);
    return isObject(value)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDisplayString(v)]))
      : {};
  } catch (error) {
    if (!(error instanceof EvaluationFailure)) throw error;
    const job: JobRef = { jobId: "", key: "workflow", name: "workflow", index: 0 };
    emit("log:line", { job, line: { stream: "system", text: masker.mask(error.message) } });
    return undefined;
  }
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

async function instanceRef(
  workflow: WorkflowModel,
  job: JobModel,
  matrix: Combination,
  index: number,
  contexts: Contexts,
): Promise<JobRef> {
  const isMatrix = Object.keys(matrix).length > 0;
  const suffix = isMatrix ? ` (${Object.values(matrix).map(toDisplayString).join(", ")})` : "";
  const key = `${job.id}${suffix}`;
  let name = key;
  if (job.name) {
    name = toDisplayString(
      await evaluateOrFail(workflow.file, job.name, contexts).catch(() => job.name!.toString()),
    );
  }
  return { jobId: job.id, key, name, index, ...(isMatrix ? { matrix } : {}) };
}

function isObject(value: unknown): value is Record<string, ExpressionValue> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function newRunId(): string {
  return randomUUID();
}
