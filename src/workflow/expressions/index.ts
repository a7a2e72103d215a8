// Public surface of the expression layer: evaluate GitHub Actions expressions, conditions, strings and template tokens.
export { evaluateCondition, evaluateExpression, type EvaluationHost } from "./evaluate-expression.js";
export { evaluateToken } from "./evaluate-token.js";
export { ExpressionFailure, type ExpressionFailureCode } from "./expression-failure.js";
export { isTruthy, toDisplayString, type Contexts, type ExpressionValue } from "./expression-value.js";
export { interpolateString } from "./interpolate-string.js";
export { checkExpressionSyntax } from "./parse-expression.js";
