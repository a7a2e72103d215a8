// Validates workflow_dispatch inputs given by a user against the workflow's input definitions (GitHub's rules).
import type { InputConfig } from "@actions/workflow-parser/model/workflow-template";
import type { ExpressionValue } from "./expressions/index.js";

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
    // The parser's InputType has no `number`, so a number input arrives with an undefined type.
    switch ((definition.type as string | undefined) ?? "number") {
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
