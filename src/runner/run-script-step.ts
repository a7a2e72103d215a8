// Running one `run:` step: script file and shell, then the process through runProcessStep. Knows nothing of expressions or job state.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { findExecutable } from "./find-executable.js";
import { anchorInJob } from "./job-files/job-anchor.js";
import { createFileBeneath, removeFileBeneath } from "./job-files/open-beneath.js";
import { RunnerError } from "./runner-error.js";
import type { Masker } from "./masker.js";
import { failBeforeStart, runProcessStep } from "./run-process-step.js";
import { fixUpScript, getScriptExtension, resolveShell } from "./shell.js";
import type { Executor, JobDirectories, LogLine, StepResult } from "./types.js";

export interface ScriptStepSpec {
  /** Already interpolated by the engine. */
  script: string;
  /** As written in YAML (or from defaults.run.shell); undefined = default. */
  shell?: string;
  /** Absolute. */
  workingDirectory: string;
  /** The complete environment for the process (the engine composes it). */
  env: Record<string, string>;
  timeoutMs?: number;
  signal: AbortSignal;
  dirs: JobDirectories;
  executor: Executor;
  masker: Masker;
  onLine: (line: LogLine) => void;
  stepDebug?: boolean;
}

/**
 * Runs a `run:` step (docs: "jobs.<job_id>.steps[*].run"). Resolves with the step's result; the
 * only rejection is a fault in hangar itself that is not a RunnerError (e.g. the disk is full).
 */
export async function runScriptStep(spec: ScriptStepSpec): Promise<StepResult> {
  const scriptPath = join(spec.dirs.fileCommands, `${randomUUID()}${getScriptExtension(spec.shell)}`);
  const shell = resolveShell(spec.shell, scriptPath, (command) =>
    spec.executor.findExecutable
      ? spec.executor.findExecutable(command, spec.env.PATH)
      : findExecutable(command, spec.env.PATH),
  );
  if ("error" in shell) return failBeforeStart(spec, shell.error);

  // The file-commands dir is the job's to change: the script is created where no link can redirect it.
  const script = anchorInJob(spec.dirs, scriptPath);
  try {
    await createFileBeneath(script.anchor, script.relative, fixUpScript(shell.shellName, spec.script));
  } catch (error) {
    if (!(error instanceof RunnerError)) throw error;
    return failBeforeStart(spec, error.message);
  }
  try {
    return await runProcessStep({ ...spec, command: shell.command, args: shell.args });
  } finally {
    await removeFileBeneath(script.anchor, script.relative).catch(() => undefined);
  }
}
