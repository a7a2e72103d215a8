// Decides which workflow files one GitHub event triggers at a commit; reads no files, git or database itself.
import { LineCounter, parseDocument } from "yaml";
import {
  loadWorkflow,
  matchEvent,
  refForEvent,
  validateDispatchInputs,
  type Diagnostic,
  type EventRef,
  type ExpressionValue,
  type Position,
  type SourceFile,
  type WorkflowModel,
} from "../../workflow/index.js";

export interface PlanEventInput {
  /** The webhook event name (X-GitHub-Event), or `schedule`. */
  event: string;
  payload: Record<string, unknown>;
  /** Every workflow file at the event's commit (see readWorkflowFiles). */
  files: readonly SourceFile[];
  /** Files the push or pull request changed; undefined when unknown (then path filters pass). */
  changedFiles?: string[];
  /** The default branch's head: the commit and ref of events whose payload names none (schedule). */
  fallback: EventRef;
}

export interface TriggeredWorkflow {
  file: string;
  workflow: WorkflowModel;
  /** Typed `inputs` context: workflow_dispatch inputs after validation, empty for other events. */
  inputs: Record<string, ExpressionValue>;
}

export interface EventPlan {
  /** GITHUB_SHA and GITHUB_REF of the runs, per docs "Events that trigger workflows". */
  sha: string;
  ref: string;
  triggered: TriggeredWorkflow[];
  skipped: { file: string; reason: string }[];
  /** Files that could not be loaded or whose dispatch inputs are wrong; GitHub shows these as failed runs. */
  invalid: { file: string; diagnostics: Diagnostic[] }[];
}

export async function planEvent(input: PlanEventInput): Promise<EventPlan> {
  const { sha, ref } = refForEvent(input.event, input.payload, input.fallback);
  const plan: EventPlan = { sha, ref, triggered: [], skipped: [], invalid: [] };
  const dispatchTarget =
    input.event === "workflow_dispatch" ? readString(input.payload, "workflow") : undefined;
  for (const source of input.files) {
    // The workflow_dispatch payload names the one workflow file that was dispatched (its `workflow` field).
    if (dispatchTarget !== undefined && source.path !== dispatchTarget) {
      plan.skipped.push({ file: source.path, reason: `workflow_dispatch targets ${dispatchTarget}` });
      continue;
    }
    const loaded = await loadWorkflow(source);
    if (!loaded.workflow) {
      plan.invalid.push({ file: source.path, diagnostics: loaded.diagnostics });
      continue;
    }
    const workflow = loaded.workflow;
    const decision = matchEvent(workflow.events, {
      name: input.event,
      payload: input.payload,
      changedFiles: input.changedFiles,
    });
    if (!decision.triggered) {
      plan.skipped.push({ file: source.path, reason: decision.reason });
      continue;
    }
    if (input.event !== "workflow_dispatch") {
      plan.triggered.push({ file: source.path, workflow, inputs: {} });
      continue;
    }
    const validation = validateDispatchInputs(
      workflow.events.workflow_dispatch?.inputs,
      readDispatchInputs(input.payload),
    );
    if (validation.errors.length > 0) {
      const range = locateDispatchInputs(source.content);
      plan.invalid.push({
        file: source.path,
        diagnostics: validation.errors.map((message) => ({
          code: "INPUT_INVALID",
          message,
          file: source.path,
          ...range,
          severity: "error",
        })),
      });
      continue;
    }
    plan.triggered.push({ file: source.path, workflow, inputs: validation.inputs });
  }
  return plan;
}

// The REST API and the webhook carry dispatch inputs as strings; a client may still send JSON booleans or numbers.
function readDispatchInputs(payload: Record<string, unknown>): Record<string, string> {
  const given = payload["inputs"];
  if (typeof given !== "object" || given === null || Array.isArray(given)) return {};
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value !== null && value !== undefined) inputs[name] = String(value);
  }
  return inputs;
}

function readString(payload: Record<string, unknown>, key: string): string | undefined {
  const value = payload[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * Where input errors point: `on.workflow_dispatch.inputs`, else the nearest enclosing key. The model keeps no
 * positions for `on`, so the YAML is read again for them (the yaml package counts lines and columns from 1).
 */
function locateDispatchInputs(content: string): { start: Position; end: Position } {
  const lineCounter = new LineCounter();
  const document = parseDocument(content, { lineCounter });
  for (const path of [["on", "workflow_dispatch", "inputs"], ["on", "workflow_dispatch"], ["on"]]) {
    const node: unknown = document.getIn(path, true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const start = lineCounter.linePos(range[0]);
      const end = lineCounter.linePos(range[1]);
      return { start: { line: start.line, column: start.col }, end: { line: end.line, column: end.col } };
    }
  }
  return { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
}
