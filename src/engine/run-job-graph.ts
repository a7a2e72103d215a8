// Runs a workflow's jobs as their needs finish: job ifs, matrix expansion, fail-fast, max-parallel, needs results.
// A reusable workflow's jobs run through the same graph, one level deeper.
import {
  ancestorsOf,
  effectivePermissions,
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
  EvaluationFailure,
  evaluateIf,
  evaluateOrFail,
  type ActionReference,
  type JobConclusion,
  type JobControl,
  type JobPermissions,
  type JobRequest,
  type JobInstanceResult,
  type JobRef,
  type Masker,
  type StopReason,
} from "../runner/index.js";
import type { RunEventName, RunEvents, WaitingJobRef } from "./events.js";
import type { RunOptions } from "./run-options.js";
import { Semaphore } from "./semaphore.js";
import { admitToConcurrencyGroup } from "./admit-concurrency.js";
import { passEnvironmentGate, type GatePassage } from "./environment-gate.js";

/** What every level of one run shares. */
export interface RunShared {
  options: RunOptions;
  masker: Masker;
  jobSlots: Semaphore;
  cancelSignal: AbortSignal;
  forceSignal: AbortSignal;
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void;
  /** Hands one job instance to a runner: in this process for `hangar run`, through the queue on a server. */
  dispatchJob: (request: JobRequest, control: JobControl) => Promise<JobInstanceResult>;
  /** Runs a job that calls a reusable workflow; injected because it runs a job graph of its own. */
  callWorkflow: (call: WorkflowCall, shared: RunShared) => Promise<JobInstanceResult>;
}

export interface WorkflowCall {
  graph: JobGraph;
  job: JobModel;
  ref: JobRef;
  contexts: Contexts;
  signal: AbortSignal;
}

export interface JobGraph {
  workflow: WorkflowModel;
  jobs: JobModel[];
  /** github, inputs, vars, secrets for this level. */
  contexts: Contexts;
  workflowEnv: Record<string, string>;
  /** `caller / ` for the jobs of a called workflow, so keys stay unique across levels. */
  keyPrefix: string;
  /** 1 for the top-level workflow; GitHub allows ten levels. */
  depth: number;
  /** `owner/repo@ref` of a workflow called from another repository; absent for the run's own repository. */
  repository?: ActionReference;
  /** The effective `permissions:` of the jobs calling this workflow, outermost first; absent at the top level. */
  callerPermissions?: JobPermissions["callers"];
}

export interface JobOutcome {
  /** What `needs.<id>.result` shows: continue-on-error turns a failure into success, as on GitHub. */
  result: JobConclusion;
  outputs: Record<string, string>;
}

type InstanceResult = JobInstanceResult & { continuedOnError: boolean };

export async function runJobGraph(graph: JobGraph, shared: RunShared): Promise<Map<string, JobOutcome>> {
  const { workflow } = graph;
  const { emit, cancelSignal } = shared;
  const pending = new Map<string, Promise<JobOutcome>>();
  const concluded = new Map<string, JobConclusion>();

  const outcomeOf = (job: JobModel): Promise<JobOutcome> => {
    let outcome = pending.get(job.id);
    if (!outcome) {
      outcome = (async () => {
        const needs = graph.jobs.filter((j) => job.needs.includes(j.id));
        const unfinished = needs.filter((need) => !concluded.has(need.id)).map((need) => need.id);
        if (unfinished.length > 0) {
          emit("job:waiting", { job: waitingRef(graph, job), reason: "needs", detail: unfinished });
        }
        const needOutcomes = await Promise.all(needs.map(outcomeOf));
        const result = await runJob(job, new Map(needs.map((n, i) => [n.id, needOutcomes[i]!])));
        concluded.set(job.id, result.result);
        return result;
      })();
      pending.set(job.id, outcome);
    }
    return outcome;
  };

  const reused = new Set<string>();
  const runJob = async (job: JobModel, needs: Map<string, JobOutcome>): Promise<JobOutcome> => {
    // Re-running failed jobs (GitHub's "Re-run failed jobs"): a job that succeeded last attempt keeps its result
    // and outputs, unless something it needs runs again.
    const previous = graph.depth === 1 ? shared.options.reuseJobs?.[job.id] : undefined;
    if (previous && job.needs.every((id) => reused.has(id))) {
      reused.add(job.id);
      const ref: JobRef = { jobId: job.id, key: graph.keyPrefix + job.id, name: job.id, index: 0 };
      emit("job:finished", {
        job: ref,
        conclusion: "success",
        outputs: previous.outputs,
        durationMs: 0,
        message: "succeeded in the previous attempt; not run again",
      });
      return { result: "success", outputs: previous.outputs };
    }
    const needsContext: Record<string, ExpressionValue> = {};
    for (const [id, outcome] of needs)
      needsContext[id] = { result: outcome.result, outputs: outcome.outputs };
    const contexts: Contexts = { ...graph.contexts, needs: needsContext };
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
    const jobRef: JobRef = { jobId: job.id, key: graph.keyPrefix + job.id, name: job.id, index: 0 };
    const finishEarly = (conclusion: JobConclusion, reason?: StopReason, message?: string): JobOutcome => {
      emit("job:finished", { job: jobRef, conclusion, outputs: {}, durationMs: 0, reason, message });
      return { result: conclusion, outputs: {} };
    };

    let combinations: Combination[];
    let strategy: Record<string, ExpressionValue>;
    try {
      const shouldRun = await evaluateIf(workflow.file, job.if, contexts, { status });
      if (!shouldRun) return finishEarly("skipped", status === "success" ? undefined : "dependency_failed");
      const strategyValue = job.strategy ? await evaluateOrFail(workflow.file, job.strategy, contexts) : {};
      strategy = isObject(strategyValue) ? strategyValue : {};
      const matrix = strategy["matrix"];
      const expansion = isObject(matrix)
        ? expandMatrix(matrix as Record<string, MatrixValue>)
        : { combinations: [{}] };
      if (expansion.error)
        return finishEarly("failure", undefined, `${workflow.file}: job '${job.id}': ${expansion.error}`);
      combinations = expansion.combinations;
    } catch (error) {
      if (error instanceof EvaluationFailure) return finishEarly("failure", undefined, error.message);
      throw error;
    }

    const failFast = strategy["fail-fast"] === undefined ? true : isTruthy(strategy["fail-fast"]);
    const maxParallel = Number(strategy["max-parallel"] ?? combinations.length) || combinations.length;
    const matrixSlots = new Semaphore(maxParallel);
    const failFastController = new AbortController();
    const signal = AbortSignal.any([cancelSignal, failFastController.signal]);
    const outputs: Record<string, string> = {};

    /** Why this matrix's signal stopped a leg: a sibling's failure, or the run's (or its caller's) cancel. */
    const stopReason = (): StopReason =>
      failFastController.signal.aborted && !cancelSignal.aborted ? "fail_fast" : "cancelled";

    const runInstance = async (matrix: Combination, index: number): Promise<InstanceResult> => {
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
      const ref = await instanceRef(graph, job, matrix, index, instanceContexts);
      if (signal.aborted) {
        const reason = stopReason();
        emit("job:finished", { job: ref, conclusion: "cancelled", outputs: {}, durationMs: 0, reason });
        return { conclusion: "cancelled", outputs: {}, reason, continuedOnError: false };
      }
      // A job's own concurrency group: a newer job in it can cancel this one, waiting or running.
      const jobCancel = new AbortController();
      const jobSignal = AbortSignal.any([signal, jobCancel.signal]);
      let admission: Awaited<ReturnType<typeof admitToConcurrencyGroup>>;
      try {
        admission = await admitToConcurrencyGroup(
          workflow.file,
          job.concurrency,
          instanceContexts,
          shared.options,
          {
            jobKey: ref.key,
            cancel: () => jobCancel.abort(),
            onWait: (group) => emit("job:waiting", { job: ref, reason: "concurrency", detail: group }),
            signal: jobSignal,
          },
        );
      } catch (error) {
        if (!(error instanceof EvaluationFailure)) throw error;
        emit("job:finished", {
          job: ref,
          conclusion: "failure",
          outputs: {},
          durationMs: 0,
          message: error.message,
        });
        return { conclusion: "failure", outputs: {}, message: error.message, continuedOnError: false };
      }
      if (!admission.admitted) {
        emit("job:finished", {
          job: ref,
          conclusion: "cancelled",
          outputs: {},
          durationMs: 0,
          reason: "cancelled",
        });
        return { conclusion: "cancelled", outputs: {}, reason: "cancelled", continuedOnError: false };
      }
      try {
        // The gate comes after admission and before a job slot: a job waiting for approval holds no runner either.
        const passage = await passGate(ref, instanceContexts, jobSignal);
        if (!passage.allowed) return refuseAtGate(ref, passage.reason, jobSignal);
        // Admission comes before a job slot: a job waiting in its group holds no runner, as on GitHub.
        const run = () => runAdmitted(ref, instanceContexts, jobSignal, passage);
        return await (job.uses ? run() : shared.jobSlots.use(run));
      } finally {
        await admission.release();
      }
    };

    const passGate = (ref: JobRef, instanceContexts: Contexts, signal: AbortSignal) =>
      passEnvironmentGate(workflow.file, job, ref, instanceContexts, shared.options.gateJob, {
        signal,
        onWaiting: (detail) => emit("job:waiting", { job: ref, reason: "approval", detail }),
      }).catch((error: unknown): GatePassage => {
        if (!(error instanceof EvaluationFailure)) throw error;
        return { allowed: false, reason: error.message };
      });

    /** A job the gate refused fails without starting; a cancel while it waited cancels it. */
    const refuseAtGate = (ref: JobRef, reason: string, signal: AbortSignal): InstanceResult => {
      const conclusion: JobConclusion = signal.aborted ? "cancelled" : "failure";
      const stop = signal.aborted ? { reason: "cancelled" as const } : { message: reason };
      if (conclusion === "failure" && failFast) failFastController.abort();
      emit("job:finished", { job: ref, conclusion, outputs: {}, durationMs: 0, ...stop });
      return { conclusion, outputs: {}, ...stop, continuedOnError: false };
    };

    const runAdmitted = async (
      ref: JobRef,
      instanceContexts: Contexts,
      signal: AbortSignal,
      passage: GatePassage & { allowed: true },
    ): Promise<InstanceResult> => {
      const started = Date.now();
      emit("job:started", { job: ref });
      let continueOnError = false;
      let instance: JobInstanceResult;
      try {
        continueOnError = job.continueOnError
          ? isTruthy(await evaluateOrFail(workflow.file, job.continueOnError, instanceContexts))
          : false;
        instance = job.uses
          ? await shared.callWorkflow({ graph, job, ref, contexts: instanceContexts, signal }, shared)
          : await runSteps(job, ref, instanceContexts, signal, passage.environment);
      } catch (error) {
        if (!(error instanceof EvaluationFailure)) throw error;
        instance = { conclusion: "failure", outputs: {}, message: error.message };
      }
      if (instance.conclusion === "failure" && failFast && !continueOnError) failFastController.abort();
      // The runner only sees its signal abort; the matrix knows whether a sibling's failure did it.
      if (instance.reason === "cancelled") instance = { ...instance, reason: stopReason() };
      Object.assign(outputs, instance.outputs);
      const url = instance.environmentUrl;
      const environment = passage.environment && { ...passage.environment, ...(url ? { url } : {}) };
      // Recorded before job:finished, so the deployment precedes the run's end.
      if (passage.environment)
        await passage.afterJob?.({ conclusion: instance.conclusion, ...(url ? { url } : {}) });
      emit("job:finished", {
        job: ref,
        conclusion: instance.conclusion,
        outputs: instance.outputs,
        durationMs: Date.now() - started,
        reason: instance.reason,
        message: instance.message,
        continuedOnError: continueOnError && instance.conclusion === "failure",
        ...(environment ? { environment } : {}),
      });
      return { ...instance, continuedOnError: continueOnError };
    };

    // A caller job holds no job slot (see runInstance): its called jobs need them, and holding one could starve them.
    const results = await Promise.all(
      combinations.map((matrix, index) => matrixSlots.use(() => runInstance(matrix, index))),
    );
    const conclusion = aggregateConclusion(results.map((r) => r.conclusion));
    const tolerated = results.every((r) => r.conclusion !== "failure" || r.continuedOnError);
    return { result: conclusion === "failure" && tolerated ? "success" : conclusion, outputs };
  };

  const runSteps = async (
    job: JobModel,
    ref: JobRef,
    contexts: Contexts,
    signal: AbortSignal,
    environment: { name: string } | undefined,
  ) =>
    shared.dispatchJob(
      {
        workflow: { path: workflow.file, content: workflow.content },
        jobId: job.id,
        ref,
        runsOn: job.runsOn ? runsOnLabels(await evaluateOrFail(workflow.file, job.runsOn, contexts)) : [],
        identity: shared.options.identity,
        event: shared.options.event,
        contexts,
        workflowEnv: graph.workflowEnv,
        requirePinnedSha: shared.options.requirePinnedActions ?? false,
        ...(shared.options.realActions ? { realActions: shared.options.realActions } : {}),
        ...(shared.options.actionSource ? { actionSource: shared.options.actionSource } : {}),
        checkoutUrl: shared.options.checkoutUrl,
        ...(environment ? { environment } : {}),
        permissions: jobPermissions(graph, job),
      },
      {
        signal,
        forceSignal: shared.forceSignal,
        emit: (event, payload) => emit(event, payload as RunEvents[typeof event]),
      },
    );

  const outcomes = await Promise.all(graph.jobs.map(outcomeOf));
  return new Map(graph.jobs.map((job, index) => [job.id, outcomes[index]!]));
}

/**
 * What the job's GITHUB_TOKEN may do: its own `permissions:`, else its workflow's, else its caller's (docs "Reusing
 * workflows": a called workflow inherits the caller's and may only lower them); null where none is set.
 */
export function jobPermissions(
  graph: Pick<JobGraph, "workflow" | "callerPermissions">,
  job: JobModel,
): JobPermissions {
  const callers = graph.callerPermissions ?? [];
  return { declared: effectivePermissions(graph.workflow, job) ?? callers.at(-1) ?? null, callers };
}

/** A job before its matrix expands: named by its id, as the job's own key. */
export function waitingRef(graph: Pick<JobGraph, "keyPrefix">, job: JobModel): WaitingJobRef {
  return { jobId: job.id, key: graph.keyPrefix + job.id, name: job.id };
}

/** `runs-on` is a label, a list of labels, or `{ group, labels }`. */
function runsOnLabels(value: ExpressionValue): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.map((label) => toDisplayString(label));
  if (isObject(value)) return runsOnLabels(value["labels"] ?? []);
  return [];
}

export function aggregateConclusion(conclusions: JobConclusion[]): JobConclusion {
  if (conclusions.includes("failure")) return "failure";
  if (conclusions.includes("cancelled")) return "cancelled";
  return "success";
}

async function instanceRef(
  graph: JobGraph,
  job: JobModel,
  matrix: Combination,
  index: number,
  contexts: Contexts,
): Promise<JobRef> {
  const isMatrix = Object.keys(matrix).length > 0;
  const key = instanceKey(graph.keyPrefix, job.id, matrix);
  let name = key;
  if (job.name) {
    name = toDisplayString(
      await evaluateOrFail(graph.workflow.file, job.name, contexts).catch(() => job.name!.toString()),
    );
  }
  return { jobId: job.id, key, name, index, ...(isMatrix ? { matrix } : {}) };
}

/** A job instance's key: its id with its matrix values, after its caller's key for a called workflow's job. */
export function instanceKey(keyPrefix: string, jobId: string, matrix: Combination): string {
  const values = Object.values(matrix);
  return `${keyPrefix}${jobId}${values.length > 0 ? ` (${values.map(toDisplayString).join(", ")})` : ""}`;
}

export function isObject(value: unknown): value is Record<string, ExpressionValue> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
