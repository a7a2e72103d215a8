// The job-start phase: remote actions' `pre` (JavaScript) and `pre-entrypoint` (Docker) steps run before any main step, in step order.
import type { StepModel } from "../workflow/index.js";
import { EvaluationFailure } from "./evaluation.js";
import type { StepRef } from "./job-events.js";
import { prepareStepRun, type StepListScope } from "./step-loop.js";
import { prepareActionPre } from "./step-kinds/action-step.js";
import { classifyStep } from "./step-kinds/classify-step.js";
import type { LogLine } from "./types.js";

export async function runPreSteps(scope: StepListScope, steps: StepModel[]): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const kind = classifyStep(step, scope.runtime.realActions);
    if (kind.kind !== "remote-action") continue;
    const ref: StepRef = { job: scope.jobRef, index, id: step.id, name: `Pre Run ${kind.uses}` };
    const onLine = (line: LogLine) => scope.emit("log:line", { job: scope.jobRef, step: ref, line });
    // At job start no step has run: the contexts hold the job's env and no steps.
    const contexts = { ...scope.contexts, env: { ...scope.env }, steps: {}, job: { status: "success" } };
    let runPre: Awaited<ReturnType<typeof prepareActionPre>>;
    try {
      runPre = await prepareActionPre(
        await prepareStepRun(scope, step, contexts, ref, scope.stopSignal, onLine),
        kind.uses,
      );
    } catch (error) {
      // Inputs that need later steps' outputs cannot be evaluated yet; GitHub skips such a pre as well.
      if (error instanceof EvaluationFailure) continue;
      throw error;
    }
    if (!runPre) continue;
    const started = Date.now();
    scope.emit("step:started", { step: ref });
    const result = await runPre();
    if (result.outcome === "failure") {
      scope.state.failed = true;
      scope.state.firstFailure ??= result.error;
    }
    const outcome = result.outcome;
    scope.emit("step:finished", {
      step: ref,
      outcome,
      conclusion: outcome,
      durationMs: Date.now() - started,
      message: result.error,
    });
  }
}
