// Runs one job instance (one matrix combination) step by step; owns the step loop, step contexts and job outputs.
// It lives in the runner because a remote runner runs whole jobs with no engine or database behind it.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  evaluateCondition,
  evaluateToken,
  isTruthy,
  toDisplayString,
  type Contexts,
  type EvaluationHost,
  type ExpressionValue,
  type JobModel,
  type StepModel,
  type WorkflowModel,
} from "../workflow/index.js";
import { hashFiles } from "./hash-files.js";
import { runScriptStep } from "./run-script-step.js";
import type { Masker } from "./masker.js";
import type { Executor, JobDirectories, LogLine, StepResult } from "./types.js";
import type {
  EmitJobEvent,
  JobConclusion,
  JobRef,
  StepConclusion,
  StepRef,
  StopReason,
} from "./job-events.js";
import {
  buildDefaultVariables,
  buildGithubContext,
  buildRunnerContext,
  type RunIdentity,
  type TriggeringEvent,
} from "./github-context.js";
import { describeFailure } from "./describe-failure.js";

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
  /** Use this directory as the workspace (local runs on a checkout). */
  workspace?: string;
  masker: Masker;
  /** Aborted when the run is cancelled or a fail-fast sibling failed. */
  signal: AbortSignal;
  /** Aborted by a second cancel: even always() steps stop. */
  forceSignal: AbortSignal;
  baseEnv: Record<string, string>;
  runnerName: string;
  stepDebug: boolean;
  emit: EmitJobEvent;
}

export interface JobInstanceResult {
  conclusion: JobConclusion;
  outputs: Record<string, string>;
  reason?: StopReason;
  message?: string;
}

interface StepState {
  outputs: Record<string, string>;
  outcome: StepConclusion;
  conclusion: StepConclusion;
}

const defaultJobTimeoutMinutes = 360;
/** How long each step that runs after a cancel (always(), cancelled()) may take. */
const afterCancelDeadlineMs = 5 * 60_000;

export async function runJobInstance(spec: JobInstanceSpec): Promise<JobInstanceResult> {
  const { job, workflow } = spec;
  const dirs = await spec.executor.prepare({
    runId: spec.identity.runId,
    jobKey: spec.ref.key,
    workspace: spec.workspace,
  });
  try {
    return await runSteps(spec, dirs);
  } catch (error) {
    const message = error instanceof EvaluationFailure ? error.message : `${workflow.file}: ${String(error)}`;
    emitSystemLine(spec, undefined, spec.masker.mask(message));
    return {
      conclusion: "failure",
      outputs: {},
      reason: error instanceof EvaluationFailure ? undefined : "executor_error",
      message,
    };
  } finally {
    await spec.executor.cleanup(dirs);
  }

  async function runSteps(spec: JobInstanceSpec, dirs: JobDirectories): Promise<JobInstanceResult> {
    const eventPath = path.join(dirs.fileCommands, "event.json");
    await writeFile(eventPath, JSON.stringify(spec.event.payload));
    const github = buildGithubContext({
      identity: spec.identity,
      event: spec.event,
      workflowName: workflow.name,
      workflowFile: workflow.file,
      workspace: dirs.workspace,
      eventPath,
      jobId: job.id,
    });
    const runner = buildRunnerContext(spec.runnerName, dirs);
    const hashHost: EvaluationHost = { hashFiles: (patterns) => hashFiles(dirs.workspace, patterns) };
    const jobContexts: Contexts = { ...spec.contexts, github, runner, env: spec.workflowEnv };
    const evaluate = (token: TemplateToken, contexts: Contexts, host: EvaluationHost = hashHost) =>
      evaluateOrFail(workflow.file, token, contexts, host);

    const jobEnv = { ...spec.workflowEnv, ...(await evaluateStringMap(job.env, jobContexts, evaluate)) };
    const timeoutMinutes = job.timeoutMinutes
      ? Number(await evaluate(job.timeoutMinutes, jobContexts))
      : defaultJobTimeoutMinutes;
    const jobTimeout = AbortSignal.timeout(timeoutMinutes * 60_000);
    const stopSignal = AbortSignal.any([spec.signal, jobTimeout]);

    const steps: Record<string, StepState> = {};
    const addedEnv: Record<string, string> = {};
    const addedPath: string[] = [];
    const state: Record<string, string> = {};
    let jobFailed = false;
    let jobFailure: string | undefined;
    const defaultVariables = buildDefaultVariables(github, runner);

    for (const [index, step] of job.steps.entries()) {
      const status = stopSignal.aborted ? "cancelled" : jobFailed ? "failure" : "success";
      const stepRef: StepRef = {
        job: spec.ref,
        index,
        id: step.id,
        name: await stepName(step, evaluate, jobContexts),
      };
      const envContext = { ...jobEnv, ...addedEnv };
      const stepContexts: Contexts = {
        ...jobContexts,
        env: envContext,
        steps: stepsContext(steps),
        job: { status },
      };
      const started = Date.now();
      spec.emit("step:started", { step: stepRef });
      let result: StepResult | undefined;
      let message: string | undefined;
      let continueOnError = false;
      try {
        const shouldRun = await evaluateIf(workflow.file, step.if, stepContexts, { ...hashHost, status });
        if (shouldRun) {
          const stepEnv = { ...envContext, ...(await evaluateStringMap(step.env, stepContexts, evaluate)) };
          const withEnvContexts = { ...stepContexts, env: stepEnv };
          continueOnError = step.continueOnError
            ? isTruthy(await evaluate(step.continueOnError, withEnvContexts))
            : false;
          // Steps that still run after a cancel or timeout (always(), cancelled()) get a fresh, bounded deadline.
          const stepSignal = stopSignal.aborted
            ? AbortSignal.any([spec.forceSignal, AbortSignal.timeout(afterCancelDeadlineMs)])
            : stopSignal;
          result = await executeStep(step, stepRef, withEnvContexts, stepEnv, stepSignal);
        }
      } catch (error) {
        if (!(error instanceof EvaluationFailure)) throw error;
        message = error.message;
        emitSystemLine(spec, stepRef, spec.masker.mask(message));
      }

      const outcome: StepConclusion = result ? result.outcome : message ? "failure" : "skipped";
      const conclusion: StepConclusion = outcome === "failure" && continueOnError ? "success" : outcome;
      if (result) {
        Object.assign(addedEnv, result.env);
        addedPath.unshift(...result.path);
        Object.assign(state, result.state);
        message ??= result.error ?? (result.timedOut ? "the step exceeded its timeout-minutes" : undefined);
      }
      if (conclusion === "failure" || conclusion === "cancelled") {
        jobFailed = jobFailed || conclusion === "failure";
        jobFailure ??= message;
      }
      steps[step.id] = { outputs: result?.outputs ?? {}, outcome, conclusion };
      spec.emit("step:finished", {
        step: stepRef,
        outcome,
        conclusion,
        durationMs: Date.now() - started,
        message,
      });
    }

    const finalStatus: JobConclusion = jobFailed ? "failure" : stopSignal.aborted ? "cancelled" : "success";
    const outputContexts: Contexts = {
      ...jobContexts,
      env: { ...jobEnv, ...addedEnv },
      steps: stepsContext(steps),
      job: { status: finalStatus },
    };
    const outputs = await evaluateStringMap(job.outputs, outputContexts, evaluate);
    for (const [name, value] of Object.entries(outputs)) {
      // Per docs "Passing information between jobs": outputs containing secrets are redacted and not sent on.
      if (spec.masker.mask(value) === value) continue;
      delete outputs[name];
      emitSystemLine(spec, undefined, `Skip output '${name}' since it may contain secret.`);
    }
    // Like GitHub's runner, a job past its timeout-minutes ends cancelled, not failed.
    if (jobTimeout.aborted) {
      return {
        conclusion: "cancelled",
        outputs,
        reason: "timed_out",
        message: `the job exceeded its timeout-minutes (${timeoutMinutes})`,
      };
    }
    if (spec.signal.aborted && !jobFailed) return { conclusion: "cancelled", outputs, reason: "cancelled" };
    return { conclusion: finalStatus, outputs, message: jobFailure };

    async function executeStep(
      step: StepModel,
      stepRef: StepRef,
      contexts: Contexts,
      stepEnv: Record<string, string>,
      signal: AbortSignal,
    ): Promise<StepResult> {
      if (!step.run) {
        return failedStep(
          `${locate(workflow.file, step.range.start)}: 'uses: ${step.uses}' steps are not supported yet`,
        );
      }
      const script = toDisplayString(await evaluate(step.run, contexts));
      const shell = await optionalString(
        step.shell ?? job.defaults.shell ?? workflow.defaults.shell,
        contexts,
      );
      const workingDirectory = await optionalString(
        step.workingDirectory ?? job.defaults.workingDirectory ?? workflow.defaults.workingDirectory,
        contexts,
      );
      const timeoutMinutes = step.timeoutMinutes
        ? Number(await evaluate(step.timeoutMinutes, contexts))
        : undefined;
      const processPath = [...addedPath, spec.baseEnv["PATH"] ?? ""].filter(Boolean).join(path.delimiter);
      return runScriptStep({
        script,
        shell,
        workingDirectory: workingDirectory ? path.resolve(dirs.workspace, workingDirectory) : dirs.workspace,
        env: { ...spec.baseEnv, ...defaultVariables, ...stepEnv, GITHUB_ACTION: step.id, PATH: processPath },
        timeoutMs: timeoutMinutes === undefined ? undefined : timeoutMinutes * 60_000,
        signal,
        dirs,
        executor: spec.executor,
        masker: spec.masker,
        stepDebug: spec.stepDebug,
        onLine: (line: LogLine) => spec.emit("log:line", { job: spec.ref, step: stepRef, line }),
      });
    }

    async function optionalString(
      token: TemplateToken | undefined,
      contexts: Contexts,
    ): Promise<string | undefined> {
      if (!token) return undefined;
      const value = toDisplayString(await evaluate(token, contexts));
      return value === "" ? undefined : value;
    }
  }
}

function failedStep(error: string): StepResult {
  return {
    outcome: "failure",
    exitCode: null,
    timedOut: false,
    outputs: {},
    env: {},
    path: [],
    state: {},
    summary: "",
    annotations: [],
    error,
  };
}

function stepsContext(steps: Record<string, StepState>): ExpressionValue {
  const context: Record<string, ExpressionValue> = {};
  for (const [id, step] of Object.entries(steps)) {
    // Generated ids (`__run`) are GitHub's internal names and never visible in the steps context.
    if (id.startsWith("__")) continue;
    context[id] = { outputs: step.outputs, outcome: step.outcome, conclusion: step.conclusion };
  }
  return context;
}

async function stepName(
  step: StepModel,
  evaluate: (token: TemplateToken, contexts: Contexts) => Promise<ExpressionValue>,
  contexts: Contexts,
): Promise<string> {
  if (step.name) {
    try {
      return toDisplayString(await evaluate(step.name, contexts));
    } catch {
      return step.name.toString();
    }
  }
  if (step.uses) return `Run ${step.uses}`;
  const script = step.run?.toString() ?? "";
  return `Run ${script.trim().split("\n")[0]}`;
}

/** An expression that failed at run time, with its file:line:col already in the message. */
export class EvaluationFailure extends Error {}

function locate(file: string, position: { line: number; column: number }): string {
  return `${file}:${position.line}:${position.column}`;
}

export async function evaluateOrFail(
  file: string,
  token: TemplateToken,
  contexts: Contexts,
  host?: EvaluationHost,
): Promise<ExpressionValue> {
  try {
    return await evaluateToken(token, contexts, host);
  } catch (error) {
    throw new EvaluationFailure(describeFailure(file, token, error));
  }
}

export async function evaluateIf(
  file: string,
  token: TemplateToken,
  contexts: Contexts,
  host: EvaluationHost,
): Promise<boolean> {
  try {
    return await evaluateCondition(conditionText(token), contexts, host);
  } catch (error) {
    throw new EvaluationFailure(describeFailure(file, token, error));
  }
}

function conditionText(token: TemplateToken): string {
  return "expression" in token && typeof token.expression === "string" ? token.expression : token.toString();
}

export async function evaluateStringMap(
  token: TemplateToken | undefined,
  contexts: Contexts,
  evaluate: (token: TemplateToken, contexts: Contexts) => Promise<ExpressionValue>,
): Promise<Record<string, string>> {
  if (!token) return {};
  const value = await evaluate(token, contexts);
  const result: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, entry] of Object.entries(value)) result[key] = toDisplayString(entry);
  }
  return result;
}

function emitSystemLine(spec: JobInstanceSpec, step: StepRef | undefined, text: string): void {
  spec.emit("log:line", { job: spec.ref, step, line: { stream: "system", text } });
}
