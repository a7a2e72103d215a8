// Reads `permissions:` of a workflow or job (docs "Workflow syntax → permissions") into plain data; decides nothing
// about tokens. GitHub's parser has already checked the values, which take no expressions.
import { isMapping, isString } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { JobModel, WorkflowModel } from "./load-workflow.js";

export type PermissionLevel = "read" | "write" | "none";

/** `read-all`, `write-all`, or the scopes as written: a scope left out is `none` (`{}` is none at all). */
export type PermissionsDeclaration = "read-all" | "write-all" | Record<string, PermissionLevel>;

/** The job's own `permissions:` wins over the workflow's; undefined when neither sets any (the default applies). */
export function effectivePermissions(
  workflow: Pick<WorkflowModel, "permissions">,
  job: Pick<JobModel, "permissions">,
): PermissionsDeclaration | undefined {
  return readPermissions(job.permissions ?? workflow.permissions);
}

export function readPermissions(token: TemplateToken | undefined): PermissionsDeclaration | undefined {
  if (token === undefined) return undefined;
  if (isString(token)) return token.value === "write-all" ? "write-all" : "read-all";
  const scopes: Record<string, PermissionLevel> = {};
  if (!isMapping(token)) return scopes;
  for (let index = 0; index < token.count; index++) {
    const { key, value } = token.get(index);
    if (isString(value)) scopes[key.toString()] = value.value as PermissionLevel;
  }
  return scopes;
}
