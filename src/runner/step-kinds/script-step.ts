// `run:` steps: interpolate the script, pick the shell (step, then defaults.run), run it through the shell table.
import { toDisplayString } from "../../workflow/index.js";
import { evaluateOptionalString } from "../evaluation.js";
import { runScriptStep } from "../run-script-step.js";
import type { StepResult } from "../types.js";
import type { StepRun } from "./step-kind.js";

export async function runScriptKind(run: StepRun): Promise<StepResult> {
  const { step, job } = run;
  const script = step.run ? toDisplayString(await job.evaluate(step.run, run.contexts)) : "";
  const shell = (await evaluateOptionalString(step.shell, run.contexts, job.evaluate)) ?? run.defaultShell;
  return runScriptStep({
    script,
    shell,
    workingDirectory: run.workingDirectory,
    env: run.env,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    dirs: job.dirs,
    executor: job.executor,
    masker: job.masker,
    stepDebug: job.stepDebug,
    onLine: run.onLine,
  });
}
