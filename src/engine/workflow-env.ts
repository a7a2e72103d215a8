// Evaluates a workflow's top-level `env:` once per run level (the run, or a called workflow), and reports
// failures that belong to the workflow rather than to a job.
import { toDisplayString, type Contexts, type WorkflowModel } from "../workflow/index.js";
import { EvaluationFailure, evaluateOrFail, type JobRef, type Masker } from "../runner/index.js";
import type { RunEventName, RunEvents } from "./events.js";

/** Log lines about the workflow as a whole (its env, its concurrency) belong to no job; they carry this ref. */
const workflowRef: JobRef = { jobId: "", key: "workflow", name: "workflow", index: 0 };

/** A log line of the workflow as a whole (no job's), e.g. its env that failed to evaluate. */
export function isWorkflowRef(job: JobRef): boolean {
  return job.jobId === workflowRef.jobId && job.key === workflowRef.key;
}

export function reportWorkflowFailure(
  error: EvaluationFailure,
  masker: Masker,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): void {
  emit("log:line", { job: workflowRef, line: { stream: "system", text: masker.mask(error.message) } });
}

/** Undefined when it failed; the failure was reported as a log line. */
export async function evaluateWorkflowEnv(
  workflow: WorkflowModel,
  contexts: Contexts,
  masker: Masker,
  emit: <E extends RunEventName>(event: E, payload: RunEvents[E]) => void,
): Promise<Record<string, string> | undefined> {
  if (!workflow.env) return {};
  try {
    const value = await evaluateOrFail(workflow.file, workflow.env, contexts);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDisplayString(v)]));
  } catch (error) {
    if (!(error instanceof EvaluationFailure)) throw error;
    reportWorkflowFailure(error, masker, emit);
    return undefined;
  }
}
