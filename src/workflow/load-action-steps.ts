// Reads a composite action's steps into the same StepModel a workflow's steps use, positions kept.
import { NoOperationTraceWriter } from "@actions/workflow-parser";
import { convertActionTemplate, parseAction } from "@actions/workflow-parser/actions/index";
import { isMapping, isSequence } from "@actions/workflow-parser";
import type { Diagnostic } from "./diagnostic.js";
import { rangeOf, readStep, toDiagnostic, type SourceFile, type StepModel } from "./load-workflow.js";

export interface ActionStepsResult {
  steps?: StepModel[];
  diagnostics: Diagnostic[];
}

export function loadCompositeSteps(source: SourceFile): ActionStepsResult {
  const parsed = parseAction({ name: source.path, content: source.content }, new NoOperationTraceWriter());
  const diagnostics = parsed.context.errors.getErrors().map((e) => toDiagnostic(source.path, e));
  if (!parsed.value || diagnostics.length > 0) return { diagnostics };
  const template = convertActionTemplate(parsed.context, parsed.value);
  diagnostics.push(...parsed.context.errors.getErrors().map((e) => toDiagnostic(source.path, e)));
  if (diagnostics.length > 0 || template.runs.using !== "composite") return { diagnostics };

  const runs = parsed.value.assertMapping("action root").find("runs");
  const stepsToken = runs && isMapping(runs) ? runs.find("steps") : undefined;
  const tokens = stepsToken && isSequence(stepsToken) ? [...stepsToken] : [];
  const steps: StepModel[] = [];
  template.runs.steps.forEach((step, index) => {
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
