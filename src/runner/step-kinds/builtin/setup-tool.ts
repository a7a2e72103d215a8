// What the built-in setup actions share: reading a version file inside the job, finding and asking a tool the job
// itself would run.
import path from "node:path";
import { findExecutable } from "../../find-executable.js";
import type { AgentReadDone } from "../../job-files/file-agent-protocol.js";
import type { ToolSourceSettings } from "../../tools/index.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";

/** A version file is small; anything larger is not one. */
const versionFileMaxBytes = 64 * 1024;

/**
 * setup-node and setup-python read the version file below GITHUB_WORKSPACE: here, inside the job, as the job.
 * Gives the text and the file's real path in the job's view.
 */
export async function readVersionFile(run: StepRun, file: string): Promise<{ text: string; path: string }> {
  const { workspace } = run.job.dirs;
  const read = await run.job.files.call<AgentReadDone>(
    { op: "read", path: path.resolve(workspace, file), inside: workspace, maxBytes: versionFileMaxBytes },
    { env: run.env, signal: run.signal },
  );
  return { text: Buffer.from(read.content, "base64").toString("utf8"), path: read.path };
}

/** What `executable args` prints (both streams), run as the job's own processes run it, never by the runner itself. */
async function toolOutput(run: StepRun, executable: string, args: string[]): Promise<string> {
  let output = "";
  const result = await run.job.executor.exec(
    {
      job: run.job.dirs,
      command: executable,
      args,
      cwd: run.job.dirs.workspace,
      env: run.env,
      signal: run.signal,
    },
    (chunk) => (output += chunk.toString("utf8")),
  );
  if (result.exitCode !== 0)
    throw new Error(`${executable} ${args.join(" ")} exited with ${result.exitCode ?? result.signal}`);
  return output.trim();
}

/** The first line of the tool's `--version`, without Python's "Python " prefix. */
export async function installedVersion(run: StepRun, executable: string): Promise<string> {
  const output = await toolOutput(run, executable, ["--version"]);
  return output.split("\n")[0]!.replace(/^Python\s+/, "");
}

/** Where `command` is on `PATH` as the job's processes would find it (inside the job's root on isolating executors). */
export function findOnJobPath(run: StepRun, command: string, PATH = run.env["PATH"]): string | undefined {
  const { executor } = run.job;
  return executor.findExecutable
    ? executor.findExecutable(command, PATH)
    : findExecutable(command, PATH ?? "");
}

/** A warning as the actions' core.warning gives it: a log line and an annotation. */
export function warn(run: StepRun, message: string): void {
  run.onLine({ stream: "stdout", text: message, annotation: { level: "warning", message } });
}

/** A tool a job may already have on its own PATH, and how its version is read and judged. */
export interface JobOwnTool {
  action: string;
  /** Tried in order on the job's PATH. */
  commands: string[];
  /** For messages: e.g. `node 22`. */
  asked: string;
  /** The arguments that make it print its version; `--version` when absent. */
  versionArgs?: string[];
  versionOf(output: string): string | undefined;
  satisfies(version: string): boolean;
  /** Outputs and env for the version found. */
  resultFor(
    version: string,
    executable: string,
  ): { outputs: Record<string, string>; env?: Record<string, string> };
}

/**
 * A job that cannot see the runner's tool cache (a microVM; a sandbox run as root, whose job uid cannot pass through
 * the data dir) gets the tool already on its own PATH, when its version fits what was asked.
 */
export async function useJobsOwnTool(run: StepRun, tool: JobOwnTool): Promise<StepResult> {
  const executable = tool.commands.map((command) => findOnJobPath(run, command)).find(Boolean);
  const output = executable
    ? await toolOutput(run, executable, tool.versionArgs ?? ["--version"]).catch(() => "")
    : "";
  const version = tool.versionOf(output);
  if (executable && version && tool.satisfies(version)) {
    run.onLine({ stream: "stdout", text: `Using ${executable} ${version} for ${tool.asked}` });
    const { outputs, env } = tool.resultFor(version, executable);
    return {
      ...emptyStepResult("success", outputs),
      ...(env ? { env } : {}),
      path: [path.dirname(executable)],
    };
  }
  return failedStepResult(
    `${tool.action}: ${tool.asked} was asked for; the ${run.job.executor.name} executor cannot show the runner's ` +
      `tool cache to this job, and the job's own ${tool.commands[0]} is ${version || "missing"}; run the job on the ` +
      "host executor, or on the sandbox executor as a user other than root",
  );
}

/**
 * The sources a job's install may come from: a container job sees the tool cache but not this machine's own files,
 * so a link to a host install would point at nothing there.
 */
export function toolSourcesForJob(run: StepRun): ToolSourceSettings {
  const { sources } = run.job.tools;
  if (run.job.executor.name !== "container") return sources;
  return { ...sources, order: sources.order.filter((kind) => kind !== "host") };
}
