// The parser's parseWorkflow and the runner's action.yml reading with workflowLimits: the same schema and template reader, fed by a
// document measured first, so a file past a limit is refused before anything is expanded.
import { NoOperationTraceWriter } from "@actions/workflow-parser";
import { JSONObjectReader } from "@actions/workflow-parser/templates/json-object-reader";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import { readTemplate } from "@actions/workflow-parser/templates/template-reader";
import { TemplateSchema } from "@actions/workflow-parser/templates/schema/index";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { TokenRange } from "@actions/workflow-parser/templates/tokens/token-range";
import { WORKFLOW_ROOT } from "@actions/workflow-parser/workflows/workflow-constants";
import { getWorkflowSchema } from "@actions/workflow-parser/workflows/workflow-schema";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { YAMLError } from "yaml";
import { parseBoundedYaml } from "./bounded-yaml.js";
import type { Diagnostic } from "./diagnostic.js";
import { YamlEventReader } from "./yaml-event-reader.js";

export interface TemplateRead {
  context: TemplateContext;
  value?: TemplateToken;
  /** The limit the file passed; then nothing was read. */
  refused?: Diagnostic;
}

export function readWorkflowTemplate(path: string, content: string): TemplateRead {
  return readWithinLimits(path, content, getWorkflowSchema(), WORKFLOW_ROOT);
}

/** The runner reads action.yml with the loose "action-root" (actions/runner action_yaml.json), not parseAction's strict one. */
export function readActionTemplate(path: string, content: string): TemplateRead {
  return readWithinLimits(path, content, looseActionSchema(), "action-root");
}

let looseSchema: TemplateSchema | undefined;

/**
 * The parser's action schema, with the loose runs' `pre-if` and `post-if` given the strict schema's "runs-if": the
 * parser validates them against their definition's functions, and the loose one lists none, so `post-if: success()`
 * (valid on GitHub, where the runner evaluates it with the job's status) would be refused.
 */
export function looseActionSchema(): TemplateSchema {
  if (looseSchema) return looseSchema;
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.resolve("@actions/workflow-parser"))),
    "action-v1.0.min.json",
  );
  const json = JSON.parse(readFileSync(file, "utf8")) as {
    definitions: Record<string, { mapping?: { properties: Record<string, unknown> } }>;
  };
  for (const runs of ["node-runs", "container-runs"]) {
    const properties = json.definitions[runs]?.mapping?.properties;
    if (!properties) continue;
    for (const key of ["pre-if", "post-if"]) if (key in properties) properties[key] = "runs-if";
  }
  looseSchema = TemplateSchema.load(new JSONObjectReader(undefined, JSON.stringify(json)));
  return looseSchema;
}

function readWithinLimits(path: string, content: string, schema: TemplateSchema, root: string): TemplateRead {
  const context = new TemplateContext(new TemplateValidationErrors(), schema, new NoOperationTraceWriter());
  const yaml = parseBoundedYaml(path, content);
  if ("code" in yaml) return { context, refused: yaml };
  const fileId = context.getFileId(path);
  // As the parser does: a file that is not valid YAML gets no schema errors, which could mislead.
  if (yaml.document.errors.length > 0) {
    for (const error of yaml.document.errors) context.error(fileId, error.message, rangeOf(error.linePos));
    return { context };
  }
  return { context, value: readTemplate(context, root, new YamlEventReader(fileId, yaml), fileId) };
}

function rangeOf(linePos: YAMLError["linePos"]): TokenRange | undefined {
  if (!linePos) return undefined;
  const start = { line: linePos[0].line, column: linePos[0].col };
  const end = linePos[1] ? { line: linePos[1].line, column: linePos[1].col } : start;
  return { start, end };
}
