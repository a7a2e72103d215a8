// Validates the inputs a workflow is given (workflow_dispatch by a user, workflow_call by a caller) against its definitions.
import type { InputConfig, WorkflowCallConfig } from "@actions/workflow-parser/model/workflow-template";
import { toDisplayString, type ExpressionValue } from "./expressions/index.js";

export interface InputValidation {
  inputs: Record<string, ExpressionValue>;
  errors: string[];
}

/** Per docs "on.workflow_dispatch.inputs": booleans become booleans, numbers numbers, choices must be listed. */
export function validateDispatchInputs(
  definitions: Record<string, InputConfig> | undefined,
  given: Record<string, string>,
): InputValidation {
  const inputs: Record<string, ExpressionValue> = {};
  const errors: string[] = [];
  const defined = definitions ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in defined)) errors.push(`input '${name}' is not defined by on.workflow_dispatch.inputs`);
  }
  for (const [name, definition] of Object.entries(defined)) {
    const raw =
      name in given ? given[name] : definition.default === undefined ? undefined : String(definition.default);
    if (raw === undefined || raw === "") {
      if (definition.required && raw === undefined) errors.push(`input '${name}' is required`);
      inputs[name] = definition.type === "boolean" ? false : "";
      continue;
    }
    switch (definition.type as string) {
      case "boolean":
        if (raw !== "true" && raw !== "false")
          errors.push(`input '${name}' must be true or false, got '${raw}'`);
        inputs[name] = raw === "true";
        break;
      case "number":
        if (Number.isNaN(Number(raw))) errors.push(`input '${name}' must be a number, got '${raw}'`);
        inputs[name] = Number(raw);
        break;
      case "choice":
        if (!definition.options?.includes(raw)) {
          errors.push(`input '${name}' must be one of ${definition.options?.join(", ")}, got '${raw}'`);
        }
        inputs[name] = raw;
        break;
      default:
        inputs[name] = raw;
    }
  }
  return { inputs, errors };
}

type CallInputs = NonNullable<WorkflowCallConfig["inputs"]>;

/** Per docs "on.workflow_call.inputs": string, boolean and number inputs, checked against what the caller passes. */
export function validateCallInputs(
  definitions: CallInputs | undefined,
  given: Record<string, ExpressionValue>,
): InputValidation {
  const inputs: Record<string, ExpressionValue> = {};
  const errors: string[] = [];
  const defined = definitions ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in defined)) errors.push(`Invalid input, ${name} is not defined in the referenced workflow.`);
  }
  for (const [name, definition] of Object.entries(defined)) {
    const fallback = definition.default;
    const value: ExpressionValue | undefined =
      name in given
        ? given[name]
        : fallback === undefined
          ? undefined
          : typeof fallback === "object"
            ? String(fallback)
            : fallback;
    if (value === undefined || value === null) {
      if (definition.required) errors.push(`Input ${name} is required, but not provided while calling.`);
      inputs[name] =
        definition.type === "boolean" ? false : (definition.type as string) === "number" ? 0 : "";
      continue;
    }
    switch (definition.type as string) {
      case "boolean":
        if (typeof value === "boolean" || value === "true" || value === "false")
          inputs[name] = value === true || value === "true";
        else errors.push(`Input ${name} must be a boolean, got ${JSON.stringify(value)}`);
        break;
      case "number":
        if (
          typeof value === "number" ||
          (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
        ) {
          inputs[name] = Number(value);
        } else errors.push(`Input ${name} must be a number, got ${JSON.stringify(value)}`);
        break;
      default:
        inputs[name] = toDisplayString(value);
    }
  }
  return { inputs, errors };
}
