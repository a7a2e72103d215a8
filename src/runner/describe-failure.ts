// Formats a run-time expression failure with the file:line:col of the token that failed, in the CLI's one format.
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { formatDiagnostic } from "../workflow/index.js";

export function describeFailure(
  file: string,
  token: TemplateToken,
  error: unknown,
  fallback?: TemplateToken,
): string {
  const range = token.range ?? fallback?.range;
  const message = error instanceof Error ? error.message : String(error);
  return formatDiagnostic({
    code: "EXPR_EVALUATION",
    message,
    file,
    start: range?.start ?? { line: 1, column: 1 },
    end: range?.end ?? { line: 1, column: 1 },
    severity: "error",
  });
}
