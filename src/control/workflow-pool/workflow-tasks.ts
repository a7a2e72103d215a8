// What a workflow-pool worker does with one untrusted file: read and plan it, answering in plain data (the model's
// tokens are class instances, which do not survive the copy back to the server's thread).
import type { MessagePort } from "node:worker_threads";
import { planEvent, type PlanEventInput } from "../../integrations/github/index.js";
import {
  loadWorkflow,
  type Diagnostic,
  type ExpressionValue,
  type SourceFile,
  type WorkflowModel,
} from "../../workflow/index.js";

export type Schedule = NonNullable<WorkflowModel["events"]["schedule"]>[number];

/** One file of planEvent's input, and the port on which the worker says it has started it. */
export interface FilePlanTask extends Omit<PlanEventInput, "files"> {
  file: SourceFile;
  started: MessagePort;
}

export type FilePlan =
  | { kind: "triggered"; inputs: Record<string, ExpressionValue> }
  | { kind: "skipped"; reason: string }
  | { kind: "invalid"; diagnostics: Diagnostic[] };

/** One file to read alone (its schedules, its diagnostics). */
export interface ScheduleTask {
  file: SourceFile;
  started: MessagePort;
}

export interface ScheduleRead {
  schedules: Schedule[];
  diagnostics: Diagnostic[];
}

export async function planFile({ file, started, ...input }: FilePlanTask): Promise<FilePlan> {
  signalStart(started);
  const plan = await planEvent({ ...input, files: [file] });
  const [triggered] = plan.triggered;
  if (triggered) return { kind: "triggered", inputs: triggered.inputs };
  const [skipped] = plan.skipped;
  if (skipped) return { kind: "skipped", reason: skipped.reason };
  return { kind: "invalid", diagnostics: plan.invalid.flatMap((invalid) => invalid.diagnostics) };
}

/** The diagnostics of reading one file, which the server then reads again itself only when there are none. */
export async function checkFile({ file, started }: ScheduleTask): Promise<Diagnostic[]> {
  signalStart(started);
  return (await loadWorkflow(file)).diagnostics;
}

export async function readSchedules({ file, started }: ScheduleTask): Promise<ScheduleRead> {
  signalStart(started);
  const loaded = await loadWorkflow(file);
  return { schedules: loaded.workflow?.events.schedule ?? [], diagnostics: loaded.diagnostics };
}

/** The time limit runs from here: a task's wait in the queue and a new worker's start are not the file's doing. */
function signalStart(started: MessagePort): void {
  started.postMessage("started");
  started.close();
}
