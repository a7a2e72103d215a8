// The workflow module's public surface: load and validate workflows, evaluate expressions, match triggers, expand matrices.
export { loadWorkflow, rangeOf } from "./load-workflow.js";
export { loadCompositeSteps, type ActionStepsResult } from "./load-action-steps.js";
export type {
  JobModel,
  LoadResult,
  RunDefaults,
  SourceFile,
  SourceRange,
  StepModel,
  WorkflowModel,
} from "./load-workflow.js";
export { diagnosticCodes, formatDiagnostic } from "./diagnostic.js";
export { workflowLimits } from "./workflow-limits.js";
export { readActionManifest, mappingValue } from "./action-manifest.js";
export type { Diagnostic, DiagnosticCode, Position, Severity } from "./diagnostic.js";
export { ancestorsOf, stageJobs } from "./needs-graph.js";
export { validateCallInputs, validateDispatchInputs } from "./workflow-inputs.js";
export {
  effectivePermissions,
  readPermissions,
  type PermissionLevel,
  type PermissionsDeclaration,
} from "./permissions.js";
export { expandMatrix } from "./matrix.js";
export type { Combination, MatrixExpansion, MatrixValue } from "./matrix.js";
export { matchEvent, matchesFilter, matchesPattern, refForEvent } from "./triggers/index.js";
export type { EventRef } from "./triggers/index.js";
export type { TriggerDecision, TriggerEvent } from "./triggers/index.js";
export {
  checkExpressionSyntax,
  evaluateCondition,
  evaluateExpression,
  evaluateToken,
  ExpressionFailure,
  interpolateString,
  isTruthy,
  toDisplayString,
} from "./expressions/index.js";
export type { Contexts, EvaluationHost, ExpressionValue } from "./expressions/index.js";
