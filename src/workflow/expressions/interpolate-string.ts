// Interpolates `${{ }}` in plain strings the workflow parser never sees (e.g. action.yml fields).
import { evaluateExpression, type EvaluationHost } from "./evaluate-expression.js";
import type { Contexts } from "./expression-value.js";
import { toDisplayString } from "./expression-value.js";
import { splitTemplate } from "./split-template.js";

export async function interpolateString(
  text: string,
  contexts: Contexts,
  host?: EvaluationHost,
): Promise<string> {
  const parts: string[] = [];
  // Sequential on purpose: each hashFiles call awaits the host, and order keeps error reports deterministic.
  for (const segment of splitTemplate(text)) {
    parts.push(
      segment.kind === "literal"
        ? segment.text
        : toDisplayString(await evaluateExpression(segment.text, contexts, host)),
    );
  }
  return parts.join("");
}
