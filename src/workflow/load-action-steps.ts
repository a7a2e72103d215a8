// Reads a composite action's steps into the same StepModel a workflow's steps use, positions kept.
import { isMapping, isSequence } from "@actions/workflow-parser";
import { convertSteps } from "@actions/workflow-parser/model/converter/steps";
import type { Diagnostic } from "./diagnostic.js";
import { rangeOf, readStep, toDiagnostic, type SourceFile, type StepModel } from "./load-workflow.js";
import { readActionManifest } from "./action-manifest.js";

export interface ActionStepsResult {
  steps?: StepModel[];
  diagnostics: Diagnostic[];
}

export function loadCompositeSteps(source: SourceFile): ActionStepsResult {
  const { refused, context, value, template } = readActionManifest(source.path, source.content);
  if (refused) return { diagnostics: [refused] };
  const diagnostics = context.errors.getErrors().map((e) => toDiagnostic(source.path, e));
  if (!value || !template || diagnostics.length > 0 || template.runs.using !== "composite")
    return { diagnostics };

  const runs = value.assertMapping("action root").find("runs");
  const stepsToken = runs && isMapping(runs) ? runs.find("steps") : undefined;
  const tokens = stepsToken && isSequence(stepsToken) ? [...stepsToken] : [];
  // The runner converts composite steps as a workflow's (ConvertToSteps), so unnamed ones get ids like `__run`.
  const converted = stepsToken ? convertSteps(context, stepsToken) : [];
  diagnostics.push(...context.errors.getErrors().map((e) => toDiagnostic(source.path, e)));
  const steps: StepModel[] = [];
  converted.forEach((step, index) => {
    const token = tokens[index];
    const model = token && isMapping(token) ? readStep(source.path, step, token) : undefined;
    if (model) steps.push(model);
    else {
      const range = rangeOf(source.path, token);
      diagnostics.push({
        code: "WF_UNSUPPORTED",
        message: "this kind of step is not supported",
        severity: "error",
        ...range,
      });
    }
  });
  return diagnostics.length > 0 ? { diagnostics } : { steps, diagnostics };
}
