// Running one step's process: fresh env files, spawn through the executor, workflow commands and masking, the StepResult. Knows nothing of shells, actions or expressions.
import { stat } from "node:fs/promises";
import type { EnvFileKind, EnvFilePaths } from "./env-files.js";
import {
  createEnvFiles,
  envFileKinds,
  getEnvFileVariables,
  parseKeyValueFile,
  parsePathFile,
  readEnvFile,
  removeEnvFiles,
  stepSummaryLimitBytes,
} from "./env-files.js";
import { LineSplitter } from "./line-splitter.js";
import type { Masker } from "./masker.js";
import { OutputProcessor } from "./output-processor.js";
import { RunnerError } from "./runner-error.js";
import type { ExecResult, Executor, JobDirectories, LogLine, StepResult } from "./types.js";

/** What every step that runs a process shares: a `run:` script and a JavaScript action alike. */
export interface StepIo {
  dirs: JobDirectories;
  masker: Masker;
  onLine: (line: LogLine) => void;
  stepDebug?: boolean;
}

export interface ProcessStepSpec extends StepIo {
  command: string;
  args: string[];
  /** Absolute. */
  workingDirectory: string;
  /** The complete environment for the process; the env file variables are added to it. */
  env: Record<string, string>;
  timeoutMs?: number;
  signal: AbortSignal;
  executor: Executor;
}

/** GITHUB_ENV may not set these (runner: SetEnvFileCommand's block list). */
const blockedEnvNames = ["NODE_OPTIONS"];

/**
 * Runs one process as a step. Resolves with the step's result; the only rejection is a fault in
 * hangar itself that is not a RunnerError (e.g. the disk is full).
 */
export async function runProcessStep(spec: ProcessStepSpec): Promise<StepResult> {
  const processor = createProcessor(spec, spec.env);
  if (!(await isDirectory(spec.workingDirectory))) {
    processor.reportSystem(
      `An error occurred trying to start process '${spec.command}' with working directory '${spec.workingDirectory}'. No such file or directory`,
      "error",
    );
    return collectResult(processor, "failure");
  }

  const envFiles = await createEnvFiles(spec.dirs);
  try {
    const env = { ...spec.env, ...getEnvFileVariables(envFiles) };
    processor.reportDebug([spec.command, ...spec.args].join(" "));
    const splitters = {
      stdout: new LineSplitter((line) => processor.processLine(line, "stdout")),
      stderr: new LineSplitter((line) => processor.processLine(line, "stderr")),
    };
    let exec: ExecResult;
    try {
      exec = await spec.executor.exec(
        {
          job: spec.dirs,
          command: spec.command,
          args: spec.args,
          cwd: spec.workingDirectory,
          env,
          signal: spec.signal,
          timeoutMs: spec.timeoutMs,
        },
        (chunk, stream) => splitters[stream].push(chunk),
      );
    } catch (error) {
      if (!(error instanceof RunnerError)) throw error;
      processor.reportSystem(error.message, "error");
      return { ...collectResult(processor, "failure"), error: error.message };
    } finally {
      splitters.stdout.end();
      splitters.stderr.end();
    }

    // The runner processes file commands whatever the step's result (runner: ActionRunner's finally).
    let files: FileResults;
    try {
      files = await applyEnvFiles(spec.dirs, envFiles, processor, spec.masker);
    } catch (error) {
      // A link planted in place of an env file is the job's doing: its step fails, nothing of the files applies.
      if (!(error instanceof RunnerError)) throw error;
      processor.reportSystem(error.message, "error");
      return { ...collectResult(processor, "failure"), exitCode: exec.exitCode };
    }
    if (exec.cancelled) {
      processor.reportSystem("The operation was canceled.", "error");
      return { ...collectResult(processor, "cancelled", files), exitCode: exec.exitCode };
    }
    if (exec.timedOut) {
      processor.reportSystem(
        `The action has timed out after ${formatDuration(spec.timeoutMs ?? 0)}.`,
        "error",
      );
      return { ...collectResult(processor, "failure", files), exitCode: exec.exitCode, timedOut: true };
    }
    if (exec.exitCode !== 0) {
      processor.reportSystem(
        exec.exitCode === null
          ? `Process completed with signal ${exec.signal ?? "unknown"}.`
          : `Process completed with exit code ${exec.exitCode}.`,
        "error",
      );
    }
    const isSuccess = exec.exitCode === 0 && !processor.hasCommandFailure && !files.hasProblem;
    return { ...collectResult(processor, isSuccess ? "success" : "failure", files), exitCode: exec.exitCode };
  } finally {
    await removeEnvFiles(spec.dirs, envFiles);
  }
}

/** A step that fails before any process starts (no shell, a docker action): one error line, as a started step would show it. */
export function failBeforeStart(io: StepIo, message: string): StepResult {
  const processor = createProcessor(io, {});
  processor.reportSystem(message, "error");
  return collectResult(processor, "failure");
}

function createProcessor(io: StepIo, env: Record<string, string>): OutputProcessor {
  return new OutputProcessor({
    masker: io.masker,
    onLine: io.onLine,
    stepDebug: io.stepDebug,
    workspace: io.dirs.workspace,
    allowUnsecureCommands: env.ACTIONS_ALLOW_UNSECURE_COMMANDS?.trim().toLowerCase() === "true",
  });
}

interface FileResults {
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  path: string[];
  summary: string;
  hasProblem: boolean;
}

/** Reads what the step wrote to its environment files; each file is processed on its own, as on GitHub. */
async function applyEnvFiles(
  dirs: JobDirectories,
  paths: EnvFilePaths,
  processor: OutputProcessor,
  masker: Masker,
): Promise<FileResults> {
  const results: FileResults = { outputs: {}, env: {}, state: {}, path: [], summary: "", hasProblem: false };
  const readPairs = async (kind: EnvFileKind, target: Record<string, string>): Promise<void> => {
    const parsed = parseKeyValueFile(await readEnvFile(dirs, kind, paths[kind]), envFileKinds[kind].variable);
    for (const [name, value] of parsed.pairs) {
      if (kind === "env" && blockedEnvNames.some((blocked) => blocked.toUpperCase() === name.toUpperCase())) {
        processor.reportSystem(`Can't store ${name} output parameter using '$GITHUB_ENV' command.`, "error");
        continue;
      }
      target[name] = value;
    }
    if (parsed.problem) {
      const { file, line, message } = parsed.problem;
      results.hasProblem = true;
      processor.reportSystem(`Unable to process file command '${kind}' successfully.`, "error");
      processor.reportSystem(`${file}:${line}: ${message}`, "error");
    }
  };
  await readPairs("env", results.env);
  await readPairs("output", results.outputs);
  await readPairs("state", results.state);
  results.path = parsePathFile(await readEnvFile(dirs, "path", paths.path));

  const summary = await readEnvFile(dirs, "summary", paths.summary);
  if (Buffer.byteLength(summary) > stepSummaryLimitBytes) {
    processor.reportSystem(
      `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${stepSummaryLimitBytes / 1024}k, got ${Math.floor(Buffer.byteLength(summary) / 1024)}k.`,
      "error",
    );
  } else {
    results.summary = masker.mask(summary);
  }
  return results;
}

function collectResult(
  processor: OutputProcessor,
  outcome: StepResult["outcome"],
  files?: FileResults,
): StepResult {
  // Environment files are read after the process, so they win over the deprecated commands.
  const path = [...(files?.path ?? [])];
  for (const entry of processor.path) if (!path.includes(entry)) path.push(entry);
  return {
    outcome,
    exitCode: null,
    timedOut: false,
    outputs: { ...processor.outputs, ...files?.outputs },
    env: { ...processor.env, ...files?.env },
    path,
    state: { ...processor.state, ...files?.state },
    summary: files?.summary ?? "",
    annotations: processor.annotations,
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function formatDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;
}
