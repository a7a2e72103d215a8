// What a job's view decides for setup-go and setup-java: a job that cannot see the runner's tool cache (a microVM; a
// sandbox run as root) gets the tool already on its own PATH when that fits, and a container job no host links.
import path from "node:path";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { ToolSourceSettings } from "../../tools/index.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";
import { commandOutput } from "./package-cache.js";
import { findOnJobPath } from "./setup-tool.js";

export interface JobOwnTool {
  action: string;
  /** The executable and the arguments that make it print its version on stdout. */
  argv: [string, ...string[]];
  versionOf(output: string): string | undefined;
  satisfies(version: string): boolean;
  /** Outputs and env for the version found. */
  resultFor(version: string, binDir: string): Pick<StepResult, "outputs" | "env">;
}

export async function useJobsOwnTool(run: StepRun, spec: string, tool: JobOwnTool): Promise<StepResult> {
  const [name] = tool.argv;
  const found = findOnJobPath(run, name);
  const output = await commandOutput(run, run.env, tool.argv).catch(() => "");
  const version = tool.versionOf(output);
  if (found && version && tool.satisfies(version)) {
    run.onLine({ stream: "stdout", text: `Using ${found} ${version} for ${spec}` });
    const { outputs, env } = tool.resultFor(version, path.dirname(found));
    return { ...emptyStepResult("success", outputs), env, path: [path.dirname(found)] };
  }
  return failedStepResult(
    `${tool.action}: ${name} ${spec} was asked for; the ${run.job.executor.name} executor cannot show the runner's tool ` +
      `cache to this job, and the job's own ${name} is ${version ?? "missing"}; run the job on the host executor, ` +
      "or on the sandbox executor as a user other than root",
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
