// The step loop shared by a job and a composite action: if, env, continue-on-error, outcomes, the steps context.
import path from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  formatDiagnostic,
  isTruthy,
  toDisplayString,
  type Contexts,
  type ExpressionValue,
  type StepModel,
} from "../workflow/index.js";
import { EvaluationFailure, evaluateIf, evaluateOptionalString, evaluateStringMap } from "./evaluation.js";
import type { JobRef, StepConclusion, StepRef, EmitJobEvent } from "./job-events.js";
import type { LogLine, StepResult } from "./types.js";
import type { JobRuntime, StepRun, StepState } from "./step-kinds/step-kind.js";

export type { StepState };

/** What steps change for the whole job, composite steps included: GITHUB_ENV, GITHUB_PATH, the job status. */
export interface JobState {
  addedEnv: Record<string, string>;
  addedPath: string[];
  failed: boolean;
  firstFailure?: string;
}

export interface StepListScope {
  runtime: JobRuntime;
  state: JobState;
  jobRef: JobRef;
  /** Contexts other than env, steps and job (a composite adds its own `inputs`). */
  contexts: Contexts;
  /** The env context before the steps' own env. */
  env: Record<string, string>;
  /** `defaults.run` of the job or workflow; composite actions have none. */
  defaults: { shell?: TemplateToken; workingDirectory?: TemplateToken };
  /** Aborted on cancel or job timeout. */
  stopSignal: AbortSignal;
  /** Aborted on a second cancel. */
  forceSignal: AbortSignal;
  /** The process environment every step starts from: the runner's own, then GitHub's default variables. */
  processEnv: Record<string, string>;
  emit: EmitJobEvent;
  /** Composite steps log into their outer step instead of emitting step events of their own. */
  outerStep?: { ref: StepRef; onLine: (line: LogLine) => void };
  /** Runs one step of a given kind; the loop does not know the kinds. */
  runStep: (run: StepRun) => Promise<StepResult>;
}

/** How long each step that runs after a cancel (always(), cancelled()) may take. */
const afterCancelDeadlineMs = 5 * 60_000;

export async function runStepList(
  scope: StepListScope,
  steps: StepModel[],
): Promise<Record<string, StepState>> {
  const { runtime, state } = scope;
  const results: Record<string, StepState> = {};
  for (const [index, step] of steps.entries()) {
    const status = scope.stopSignal.aborted ? "cancelled" : state.failed ? "failure" : "success";
    const envContext = { ...scope.env, ...state.addedEnv };
    const stepContexts: Contexts = {
      ...scope.contexts,
      // The runner sets github.action to the step's id (GitHub's `__run`, `__actions_checkout` when unnamed), as GITHUB_ACTION.
      github: {
        ...(scope.contexts["github"] as Record<string, ExpressionValue> | undefined),
        action: step.id,
      },
      env: envContext,
      steps: stepsContext(results),
      // job.container and job.services stay; the status is this step's.
      job: { ...(scope.contexts["job"] as Record<string, ExpressionValue> | undefined), status },
    };
    const ref: StepRef = scope.outerStep?.ref ?? {
      job: scope.jobRef,
      index,
      id: step.id,
      name: await stepName(step, runtime, stepContexts),
    };
    const onLine =
      scope.outerStep?.onLine ??
      ((line: LogLine) => scope.emit("log:line", { job: scope.jobRef, step: ref, line }));
    const started = Date.now();
    const name = scope.outerStep ? await stepName(step, runtime, stepContexts) : ref.name;
    if (scope.outerStep) onLine({ stream: "system", text: name, group: "start" });
    else scope.emit("step:started", { step: ref });

    let result: StepResult | undefined;
    let message: string | undefined;
    let continueOnError = false;
    try {
      if (await evaluateIf(runtime.file, step.if, stepContexts, { status, hashFiles: runtime.hashFiles })) {
        // Steps that still run after a cancel or timeout (always(), cancelled()) get a fresh, bounded deadline.
        const signal = scope.stopSignal.aborted
          ? AbortSignal.any([scope.forceSignal, AbortSignal.timeout(afterCancelDeadlineMs)])
          : scope.stopSignal;
        const run = await prepareStepRun(scope, step, stepContexts, ref, signal, onLine);
        continueOnError = step.continueOnError
          ? isTruthy(await runtime.evaluate(step.continueOnError, run.contexts))
          : false;
        result = await scope.runStep(run);
        // A built-in stopped mid-way fails with what its process said; like a run step, it was cancelled.
        if (result.outcome === "failure" && signal.aborted && !result.timedOut)
          result = { ...result, outcome: "cancelled" };
      }
    } catch (error) {
      if (!(error instanceof EvaluationFailure)) throw error;
      message = error.message;
      onLine({ stream: "system", text: runtime.masker.mask(message) });
    }

    const outcome: StepConclusion = result ? result.outcome : message ? "failure" : "skipped";
    const conclusion: StepConclusion = outcome === "failure" && continueOnError ? "success" : outcome;
    if (result) {
      Object.assign(state.addedEnv, result.env);
      state.addedPath.unshift(...result.path);
      message ??=
        result.error ?? (result.timedOut ? "the step exceeded its timeout-minutes" : exitOf(result));
    }
    if (conclusion === "failure") {
      state.failed = true;
      // The job's message names its first failing step, as GitHub's job summary does.
      state.firstFailure ??= `step '${name}' failed${message ? `: ${message}` : ""}`;
    }
    results[step.id] = { outputs: result?.outputs ?? {}, outcome, conclusion };
    if (scope.outerStep) onLine({ stream: "system", text: "", group: "end" });
    else
      scope.emit("step:finished", {
        step: ref,
        outcome,
        conclusion,
        durationMs: Date.now() - started,
        message,
        ...(result?.summary ? { summary: result.summary } : {}),
      });
  }
  return results;
}

/** Evaluates what a step kind needs (env, with, working-directory, shell, timeout) into a StepRun. */
export async function prepareStepRun(
  scope: StepListScope,
  step: StepModel,
  stepContexts: Contexts,
  ref: StepRef,
  signal: AbortSignal,
  onLine: (line: LogLine) => void,
): Promise<StepRun> {
  const { runtime } = scope;
  const stepEnv = {
    ...(stepContexts["env"] as Record<string, string>),
    ...(await evaluateStringMap(step.env, stepContexts, runtime.evaluate)),
  };
  const contexts = { ...stepContexts, env: stepEnv };
  const timeoutMinutes = step.timeoutMinutes
    ? Number(await runtime.evaluate(step.timeoutMinutes, contexts))
    : undefined;
  const workingDirectoryToken = step.workingDirectory ?? scope.defaults.workingDirectory;
  const workingDirectory = await evaluateOptionalString(workingDirectoryToken, contexts, runtime.evaluate);
  if (
    workingDirectory &&
    !path.isAbsolute(workingDirectory) &&
    !isInsideWorkspace(runtime, workingDirectory)
  ) {
    // An absolute directory is the job's own business (GitHub runs it there); a relative one names the repository's.
    throw new EvaluationFailure(
      formatDiagnostic({
        code: "WF_PATH_OUTSIDE_WORKSPACE",
        message: `working-directory '${workingDirectory}' leads out of the workspace; give an absolute path to run elsewhere`,
        file: runtime.file,
        start: workingDirectoryToken?.range?.start ?? step.range.start,
        end: workingDirectoryToken?.range?.end ?? step.range.end,
        severity: "error",
      }),
    );
  }
  const processPath = [...scope.state.addedPath, scope.processEnv["PATH"] ?? ""]
    .filter(Boolean)
    .join(path.delimiter);
  return {
    step,
    ref,
    job: runtime,
    contexts,
    env: { ...scope.processEnv, ...stepEnv, GITHUB_ACTION: step.id, PATH: processPath },
    inputs: await evaluateStringMap(step.with, contexts, runtime.evaluate),
    workingDirectory: workingDirectory
      ? path.resolve(runtime.dirs.workspace, workingDirectory)
      : runtime.dirs.workspace,
    defaultShell: await evaluateOptionalString(scope.defaults.shell, contexts, runtime.evaluate),
    timeoutMs: timeoutMinutes === undefined ? undefined : timeoutMinutes * 60_000,
    signal,
    onLine,
  };
}

function isInsideWorkspace(runtime: JobRuntime, relative: string): boolean {
  const resolved = path.relative(runtime.dirs.workspace, path.resolve(runtime.dirs.workspace, relative));
  return !resolved.startsWith("..") && !path.isAbsolute(resolved);
}

export function stepsContext(steps: Record<string, StepState>): ExpressionValue {
  const context: Record<string, ExpressionValue> = {};
  for (const [id, step] of Object.entries(steps)) {
    // Generated ids (`__run`) are GitHub's internal names and never visible in the steps context.
    if (id.startsWith("__")) continue;
    context[id] = { outputs: step.outputs, outcome: step.outcome, conclusion: step.conclusion };
  }
  return context;
}

/** Step names are shown everywhere, so they are masked like log lines. */
async function stepName(step: StepModel, runtime: JobRuntime, contexts: Contexts): Promise<string> {
  return runtime.masker.mask(await unmaskedStepName(step, runtime, contexts));
}

async function unmaskedStepName(step: StepModel, runtime: JobRuntime, contexts: Contexts): Promise<string> {
  if (step.name) {
    try {
      return toDisplayString(await runtime.evaluate(step.name, contexts));
    } catch {
      return step.name.toString();
    }
  }
  if (step.uses) return `Run ${step.uses}`;
  // An interpolated script is a format() expression by now; GitHub names the step after the script as written.
  const script =
    step.run && "source" in step.run && typeof step.run.source === "string"
      ? step.run.source
      : (step.run?.toString() ?? "");
  return `Run ${script.trim().split("\n")[0]}`;
}

/** A failed process's own words, as GitHub's runner logs them. */
function exitOf(result: StepResult): string | undefined {
  if (result.outcome !== "failure" || result.exitCode === null || result.exitCode === 0) return undefined;
  return `Process completed with exit code ${result.exitCode}.`;
}
