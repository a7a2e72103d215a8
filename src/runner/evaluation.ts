// Evaluates workflow tokens at run time and turns expression errors into failures that carry file:line:col.
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  evaluateCondition,
  evaluateToken,
  toDisplayString,
  type Contexts,
  type EvaluationHost,
  type ExpressionValue,
} from "../workflow/index.js";
import { describeFailure } from "./describe-failure.js";

/** An expression that failed at run time, with its file:line:col already in the message. */
export class EvaluationFailure extends Error {}

export type EvaluateToken = (token: TemplateToken, contexts: Contexts) => Promise<ExpressionValue>;

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

/** A mapping token (env, with, outputs) as string values, the way GitHub hands them to processes. */
export async function evaluateStringMap(
  token: TemplateToken | undefined,
  contexts: Contexts,
  evaluate: EvaluateToken,
): Promise<Record<string, string>> {
  if (!token) return {};
  const value = await evaluate(token, contexts);
  const result: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, entry] of Object.entries(value)) result[key] = toDisplayString(entry);
  }
  return result;
}

export async function evaluateOptionalString(
  token: TemplateToken | undefined,
  contexts: Contexts,
  evaluate: EvaluateToken,
): Promise<string | undefined> {
  if (!token) return undefined;
  const value = toDisplayString(await evaluate(token, contexts));
  return value === "" ? undefined : value;
}
