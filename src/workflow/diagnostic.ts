// Diagnostics: problems in user input, collected (never thrown) with 1-based positions. Codes are a public contract.

export type Severity = "error" | "warning";

export interface Position {
  line: number;
  column: number;
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  file: string;
  start: Position;
  end: Position;
  severity: Severity;
}

/** Contract: codes never change meaning; messages may improve. */
export const diagnosticCodes = {
  WF_YAML: "the file is not valid YAML",
  WF_TOO_LARGE: "the file is larger than the limit for workflow files",
  WF_TOO_COMPLEX: "the file nests, expands or takes longer to read than the limits allow",
  WF_SCHEMA: "a key or value does not fit GitHub's workflow schema",
  WF_NEEDS_UNKNOWN: "a job's needs names a job that does not exist",
  WF_NEEDS_CYCLE: "jobs depend on each other in a cycle",
  WF_MATRIX: "a strategy matrix cannot be expanded",
  WF_UNSUPPORTED: "hangar does not support this feature",
  WF_PATH_OUTSIDE_WORKSPACE: "a relative path in the workflow leads out of the workspace",
  EXPR_SYNTAX: "an expression cannot be parsed",
  EXPR_EVALUATION: "an expression failed while it was evaluated",
  INPUT_INVALID: "a workflow input is missing or of the wrong type",
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.start.line}:${d.start.column}: ${d.severity} ${d.code}: ${d.message}`;
}
