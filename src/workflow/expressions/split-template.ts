// Splits text into literal parts and `${{ }}` expressions; owns only the scanning rule, not evaluation.
import { ExpressionFailure } from "./expression-failure.js";

export type TemplateSegment = { kind: "literal"; text: string } | { kind: "expression"; text: string };

const open = "${{";
const close = "}}";

/**
 * Mirrors the scan in @actions/workflow-parser's template reader (private there, so it cannot be reused): an
 * expression ends at the first `}}` outside a single-quoted string. Expression texts are trimmed.
 */
export function splitTemplate(text: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf(open, index);
    if (start < 0) {
      segments.push({ kind: "literal", text: text.slice(index) });
      break;
    }
    if (start > index) segments.push({ kind: "literal", text: text.slice(index, start) });
    const end = findClose(text, start + open.length);
    if (end < 0) {
      throw new ExpressionFailure(
        "EXPR_SYNTAX",
        text,
        `The expression is not closed. An unescaped ${open} sequence was found, but the closing ${close} sequence was not found: ${text}`,
      );
    }
    const expression = text.slice(start + open.length, end).trim();
    if (expression === "")
      throw new ExpressionFailure("EXPR_SYNTAX", text, `An expression was expected: ${text}`);
    segments.push({ kind: "expression", text: expression });
    index = end + close.length;
  }
  return segments;
}

/** Index of the closing `}}`, or -1. A quote toggles string state, which also handles '' escapes. */
function findClose(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "'") inString = !inString;
    else if (!inString && text.startsWith(close, i)) return i;
  }
  return -1;
}
