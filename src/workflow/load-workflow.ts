// Turns one workflow file into hangar's typed model with every source position kept; GitHub's own parser reads it.
import { convertWorkflowTemplate } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import type { TemplateValidationError } from "@actions/workflow-parser/templates/template-validation-error";
import type { BaseJob, EventsConfig, Job, Step } from "@actions/workflow-parser/model/workflow-template";
import {
  isBasicExpression,
  isBoolean,
  isLiteral,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from "@actions/workflow-parser";
import type { Diagnostic, DiagnosticCode, Position } from "./diagnostic.js";
import { readWorkflowTemplate } from "./read-template.js";

export interface SourceFile {
  /** Path as shown to the user, e.g. `.github/workflows/ci.yml`. */
  path: string;
  content: string;
}

export interface SourceRange {
  file: string;
  start: Position;
  end: Position;
}

export interface RunDefaults {
  shell?: TemplateToken;
  workingDirectory?: TemplateToken;
}

export interface StepModel {
  /** Unique within the job; user ids as written, generated ones start with `__`. */
  id: string;
  hasUserId: boolean;
  name?: TemplateToken;
  if: BasicExpressionToken;
  run?: TemplateToken;
  uses?: string;
  with?: MappingToken;
  env?: MappingToken;
  shell?: TemplateToken;
  workingDirectory?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  continueOnError?: TemplateToken;
  range: SourceRange;
}

export interface JobModel {
  id: string;
  name?: TemplateToken;
  needs: string[];
  if: BasicExpressionToken;
  runsOn?: TemplateToken;
  env?: MappingToken;
  strategy?: TemplateToken;
  outputs?: MappingToken;
  timeoutMinutes?: TemplateToken;
  continueOnError?: TemplateToken;
  defaults: RunDefaults;
  permissions?: TemplateToken;
  environment?: TemplateToken;
  container?: TemplateToken;
  services?: TemplateToken;
  concurrency?: TemplateToken;
  /** `jobs.<id>.uses`: a reusable workflow call, with its `with:` and `secrets:` (a mapping or `inherit`). */
  uses?: string;
  with?: MappingToken;
  secrets?: MappingToken;
  inheritSecrets?: boolean;
  steps: StepModel[];
  range: SourceRange;
}

export interface WorkflowModel {
  file: string;
  /** The file's text, so a job can be handed to a runner as plain data. */
  content: string;
  name: string;
  runName?: TemplateToken;
  events: EventsConfig;
  env?: TemplateToken;
  defaults: RunDefaults;
  permissions?: TemplateToken;
  concurrency?: TemplateToken;
  jobs: JobModel[];
  /** `on.workflow_call.outputs`: what a called workflow hands back to its caller. */
  callOutputs?: MappingToken;
}

export interface LoadResult {
  workflow?: WorkflowModel;
  diagnostics: Diagnostic[];
}

/** Parser messages we classify into stable codes; the parser has no codes of its own. */
const messageCodes: [RegExp, DiagnosticCode][] = [
  [/depends on unknown job/, "WF_NEEDS_UNKNOWN"],
  [/at least one job with no dependencies|creates a cycle/, "WF_NEEDS_CYCLE"],
  [
    /expression|named-value|Unrecognized function|Unexpected symbol|Too (few|many) parameters/i,
    "EXPR_SYNTAX",
  ],
];

const maxDiagnostics = 100;

export async function loadWorkflow(source: SourceFile): Promise<LoadResult> {
  const parsed = readWorkflowTemplate(source.path, source.content);
  if (parsed.refused) return { diagnostics: [parsed.refused] };
  const diagnostics = parsed.context.errors.getErrors().map((e) => toDiagnostic(source.path, e));
  if (!parsed.value || diagnostics.length > 0) return { diagnostics: diagnostics.slice(0, maxDiagnostics) };

  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  diagnostics.push(...parsed.context.errors.getErrors().map((e) => toDiagnostic(source.path, e)));
  if (diagnostics.length > 0) return { diagnostics: dedupe(diagnostics).slice(0, maxDiagnostics) };

  const root = parsed.value.assertMapping("workflow root");
  const jobsToken = root.find("jobs");
  const jobTokens = jobsToken && isMapping(jobsToken) ? jobsToken : undefined;
  const jobs: JobModel[] = [];
  for (const job of template.jobs) {
    const token = jobTokens?.find(job.id.value);
    if (!token || !isMapping(token)) continue;
    if (job.type === "reusableWorkflowJob") {
      jobs.push({
        ...readJobCommon(source.path, job, token),
        uses: job.ref.value,
        with: job["input-values"],
        secrets: job["secret-values"],
        inheritSecrets: job["inherit-secrets"] ?? false,
      });
    } else {
      jobs.push(readJob(source.path, job, token, diagnostics));
    }
  }
  if (diagnostics.length > 0) return { diagnostics: diagnostics.slice(0, maxDiagnostics) };

  const nameToken = root.find("name");
  return {
    diagnostics,
    workflow: {
      file: source.path,
      content: source.content,
      name: nameToken && isString(nameToken) ? nameToken.value : source.path,
      runName: root.find("run-name"),
      events: completeInputDefinitions(template.events, root.find("on")),
      env: root.find("env"),
      defaults: readRunDefaults(root.find("defaults")),
      permissions: root.find("permissions"),
      concurrency: root.find("concurrency"),
      callOutputs: readCallOutputs(root.find("on")),
      jobs,
    },
  };
}

function readJobCommon(file: string, job: BaseJob, token: MappingToken): JobModel {
  return {
    id: job.id.value,
    name: job.name,
    needs: (job.needs ?? []).map((n) => n.value),
    if: job.if,
    strategy: job.strategy,
    outputs: job.outputs,
    concurrency: job.concurrency,
    defaults: readRunDefaults(token.find("defaults")),
    timeoutMinutes: token.find("timeout-minutes"),
    continueOnError: token.find("continue-on-error"),
    permissions: token.find("permissions"),
    steps: [],
    range: rangeOf(file, token),
  };
}

function readJob(file: string, job: Job, token: MappingToken, diagnostics: Diagnostic[]): JobModel {
  const stepsToken = token.find("steps");
  const stepTokens = stepsToken && isSequence(stepsToken) ? [...stepsToken] : [];
  const steps: StepModel[] = [];
  job.steps.forEach((step, index) => {
    const stepToken = stepTokens[index];
    if (!stepToken || !isMapping(stepToken)) return;
    const model = readStep(file, step, stepToken);
    if (model) steps.push(model);
    else
      diagnostics.push(
        at(file, rangeOf(file, stepToken), "WF_UNSUPPORTED", "this kind of step is not supported"),
      );
  });
  return {
    ...readJobCommon(file, job, token),
    runsOn: job["runs-on"],
    env: job.env,
    environment: job.environment,
    container: job.container,
    services: job.services,
    steps,
  };
}

export function readStep(file: string, step: Step, token: MappingToken): StepModel | undefined {
  if (!("run" in step) && !("uses" in step)) return undefined;
  const withToken = token.find("with");
  return {
    id: step.id,
    hasUserId: token.find("id") !== undefined,
    name: step.name,
    if: step.if,
    run: "run" in step ? step.run : undefined,
    uses: "uses" in step ? step.uses.value : undefined,
    with: mappingOrUndefined(withToken),
    env: step.env,
    shell: token.find("shell"),
    workingDirectory: token.find("working-directory"),
    timeoutMinutes: token.find("timeout-minutes"),
    continueOnError: token.find("continue-on-error"),
    range: rangeOf(file, token),
  };
}

/**
 * The parser's model drops `type: number` (its InputType has no number), the defaults of number inputs and
 * expression defaults; all are read back from the token tree so inputs keep GitHub's types.
 */
function completeInputDefinitions(events: EventsConfig, on: TemplateToken | undefined): EventsConfig {
  for (const trigger of ["workflow_call", "workflow_dispatch"] as const) {
    const config = events[trigger];
    const triggerToken = on && isMapping(on) ? on.find(trigger) : undefined;
    const inputsToken = triggerToken && isMapping(triggerToken) ? triggerToken.find("inputs") : undefined;
    if (!config?.inputs || !inputsToken || !isMapping(inputsToken)) continue;
    for (const [name, definition] of Object.entries(config.inputs)) {
      const token = inputsToken.find(name);
      if (!token || !isMapping(token)) continue;
      const type = token.find("type");
      if (type && isString(type) && type.value === "number") (definition as { type: string }).type = "number";
      const fallback = token.find("default");
      if (fallback && isLiteral(fallback) && definition.default === undefined) {
        definition.default =
          isNumber(fallback) || isBoolean(fallback) || isString(fallback) ? fallback.value : undefined;
      }
      // Kept for the caller to evaluate: a workflow_call default may be an expression (docs "Context availability").
      if (trigger === "workflow_call" && fallback && isBasicExpression(fallback)) {
        (definition as { default?: unknown }).default = fallback;
      }
    }
  }
  return events;
}

function readCallOutputs(on: TemplateToken | undefined): MappingToken | undefined {
  const call = on && isMapping(on) ? on.find("workflow_call") : undefined;
  return mappingOrUndefined(call && isMapping(call) ? call.find("outputs") : undefined);
}

function readRunDefaults(token: TemplateToken | undefined): RunDefaults {
  if (!token || !isMapping(token)) return {};
  const run = token.find("run");
  if (!run || !isMapping(run)) return {};
  return { shell: run.find("shell"), workingDirectory: run.find("working-directory") };
}

function mappingOrUndefined(token: TemplateToken | undefined): MappingToken | undefined {
  return token && isMapping(token) ? token : undefined;
}

export function rangeOf(file: string, token: TemplateToken | undefined): SourceRange {
  const range = token?.range;
  return {
    file,
    start: range ? { ...range.start } : { line: 1, column: 1 },
    end: range ? { ...range.end } : { line: 1, column: 1 },
  };
}

function at(file: string, range: SourceRange | undefined, code: DiagnosticCode, message: string): Diagnostic {
  return {
    code,
    message,
    file,
    start: range?.start ?? { line: 1, column: 1 },
    end: range?.end ?? { line: 1, column: 1 },
    severity: "error",
  };
}

export function toDiagnostic(file: string, error: TemplateValidationError): Diagnostic {
  // YAML errors carry no "(Line: …)" prefix; their text repeats the position and a source excerpt we drop.
  const isYamlError = error.prefix === file || (error.prefix === undefined && !error.range);
  const message = isYamlError
    ? error.rawMessage.replace(/ at line \d+, column \d+:[\s\S]*$/, "")
    : error.rawMessage;
  const code: DiagnosticCode = isYamlError
    ? "WF_YAML"
    : (messageCodes.find(([pattern]) => pattern.test(message))?.[1] ?? "WF_SCHEMA");
  return at(
    file,
    error.range ? { file, start: error.range.start, end: error.range.end } : undefined,
    code,
    message,
  );
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.start.line}:${d.start.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
