// Building StepResults for steps that end without running a process.
import type { StepResult } from "./types.js";

export function emptyStepResult(
  outcome: StepResult["outcome"],
  outputs: Record<string, string> = {},
): StepResult {
  return {
    outcome,
    exitCode: null,
    timedOut: false,
    outputs,
    env: {},
    path: [],
    state: {},
    summary: "",
    annotations: [],
  };
}

/** A step that failed before or instead of running: the message says why, with a position where there is one. */
export function failedStepResult(message: string): StepResult {
  return { ...emptyStepResult("failure"), error: message };
}
