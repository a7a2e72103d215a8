// The one error type this module throws for user expressions that cannot be parsed or evaluated; the engine adds file:line:col.

export type ExpressionFailureCode = "EXPR_SYNTAX" | "EXPR_EVALUATION";

export class ExpressionFailure extends Error {
  override readonly name = "ExpressionFailure";

  constructor(
    readonly code: ExpressionFailureCode,
    readonly expression: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps whatever an evaluation threw, keeping the library's own messages (and their causes) readable. */
export function toEvaluationFailure(expression: string, error: unknown): ExpressionFailure {
  if (error instanceof ExpressionFailure) return error;
  return new ExpressionFailure(
    "EXPR_EVALUATION",
    expression,
    `Cannot evaluate '${expression}': ${describeError(error)}`,
    { cause: error },
  );
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error.cause instanceof Error ? `: ${describeError(error.cause)}` : "";
  return `${error.message}${inner}`;
}
