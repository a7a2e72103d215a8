// JavaScript actions (`runs.using: node*`): runs one phase (pre, main or post) of a loaded action as a process. Does not resolve, load or evaluate inputs.
import os from "node:os";
import path from "node:path";
import type { LoadedAction } from "../actions/load-action.js";
import { failBeforeStart, runProcessStep } from "../run-process-step.js";
import { emptyStepResult } from "../step-result.js";
import { nodeSourcesFor, setUpNode } from "../tools/index.js";
import type { StepResult } from "../types.js";
import type { JobRuntime, StepRun } from "./step-kind.js";

export type NodeActionPhase = "pre" | "main" | "post";

/** The part of a StepRun a JavaScript action uses; a post step builds one from its own signal, env and log. */
export type NodeActionRun = Pick<StepRun, "env" | "inputs" | "signal" | "onLine" | "timeoutMs"> & {
  job: Pick<JobRuntime, "dirs" | "executor" | "masker" | "stepDebug" | "tools">;
};

/**
 * Runs `node <action.dir>/<runs.pre|main|post>` (docs: "Metadata syntax: runs for JavaScript
 * actions"). `inputs` are final (defaults applied by evaluateActionInputs); `state` is what
 * earlier phases saved with GITHUB_STATE, given to this phase as STATE_<name>. A phase the action
 * does not have succeeds without running anything.
 */
export async function runNodeAction(
  run: NodeActionRun,
  action: LoadedAction,
  phase: NodeActionPhase,
  state: Record<string, string> = {},
): Promise<StepResult> {
  const io = { dirs: run.job.dirs, masker: run.job.masker, onLine: run.onLine, stepDebug: run.job.stepDebug };
  const { runs } = action.template;
  if (runs.using === "docker" || runs.using === "composite") {
    const message = `'${describeAction(action)}' is a ${runs.using} action; it does not run as a JavaScript program.`;
    return { ...failBeforeStart(io, message), error: message };
  }
  const entry = { pre: runs.pre, main: runs.main, post: runs.post }[phase];
  if (!entry) return emptyStepResult("success");

  let node: string;
  try {
    node = await nodeFor(run, runs.using);
  } catch (error) {
    const message = `'${describeAction(action)}' needs ${runs.using}: ${(error as Error).message}`;
    return { ...failBeforeStart(io, message), error: message };
  }
  return runProcessStep({
    ...io,
    command: node,
    args: [path.resolve(action.dir, entry)],
    // JavaScript actions run in the workspace; working-directory applies only to run steps.
    workingDirectory: run.job.dirs.workspace,
    env: { ...run.env, ...buildActionEnv(run.inputs, action, state) },
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    executor: run.job.executor,
  });
}

/**
 * The node an action's `runs.using` asks for. GitHub's runner carries node20 and node24 (and runs node12 and node16
 * actions on node20); the runner's own node serves any `using` up to its major. A newer one comes from the tool cache,
 * installed from the configured sources like setup-node's, when the job sees the shared cache and runs host binaries
 * (host, sandbox); job containers and microVMs run the runner's node, made portable.
 */
async function nodeFor(run: NodeActionRun, using: string): Promise<string> {
  const wanted = Number(/^node(\d+)$/.exec(using)?.[1] ?? 0);
  const own = Number(process.versions.node.split(".")[0]);
  const { cache, sources } = run.job.tools;
  const seesHostBinaries = run.job.executor.name === "host" || run.job.executor.name === "sandbox";
  if (wanted <= own || !seesHostBinaries || !cache.isSeenAt(run.job.dirs.toolCache)) return process.execPath;
  const { installed } = await setUpNode(
    { spec: String(wanted), arch: os.arch(), checkLatest: false },
    cache,
    nodeSourcesFor(sources),
    { signal: run.signal },
  );
  return path.join(installed.dir, "bin", "node");
}

/** The variables the runner gives an action's process (runner: Handler.AddInputsToEnvironment and friends). */
function buildActionEnv(
  inputs: Record<string, string>,
  action: LoadedAction,
  state: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = { GITHUB_ACTION_PATH: action.dir };
  if (action.repository !== undefined) env.GITHUB_ACTION_REPOSITORY = action.repository;
  if (action.ref !== undefined) env.GITHUB_ACTION_REF = action.ref;
  // Same name mangling as @actions/core's getInput: spaces to underscores, upper case.
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  // @actions/core's getState reads STATE_<name> with the name as saved.
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  return env;
}

function describeAction(action: LoadedAction): string {
  if (action.repository === undefined) return action.template.name || action.dir;
  return action.ref === undefined ? action.repository : `${action.repository}@${action.ref}`;
}
