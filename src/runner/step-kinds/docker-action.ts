// Docker container actions (`runs.using: docker`) and `uses: docker://IMAGE` steps: one container per step on the
// job's network with GitHub's entrypoint, args and environment and the job's dirs at /github/*. The container runtime
// lives in ../containers; env files, workflow commands and the step's result are runProcessStep's.
import { rm } from "node:fs/promises";
import path from "node:path";
import type { ActionRunsDocker } from "@actions/workflow-parser/actions/action-template";
import {
  interpolateString,
  toDisplayString,
  type Contexts,
  type ExpressionValue,
} from "../../workflow/index.js";
import type { LoadedAction } from "../actions/load-action.js";
import { buildActionImage } from "../containers/build-action-image.js";
import { ContainerError } from "../containers/container-error.js";
import type { UnpackedImage } from "../containers/images/index.js";
import { actionContainerPaths } from "../containers/job-container-setup.js";
import { buildEnvironment, toEnvList } from "../containers/runtime/container-env.js";
import type { BindMount } from "../containers/runtime/oci-spec.js";
import { evaluateOrFail } from "../evaluation.js";
import { buildDefaultVariables } from "../github-context.js";
import { fetchJobTree } from "../job-files/fetch-job-tree.js";
import { assertJobDirectory, jobRootOf } from "../job-files/job-anchor.js";
import { RunnerError } from "../runner-error.js";
import { failBeforeStart, runProcessStep } from "../run-process-step.js";
import { splitArguments } from "../shell.js";
import { emptyStepResult } from "../step-result.js";
import type { Executor, JobDirectories, StepResult } from "../types.js";
import type { StepRun } from "./step-kind.js";

export type DockerActionPhase = "pre" | "main" | "post";

/** What one step's container runs: the image, and GitHub's entrypoint and args before the image's defaults. */
interface ActionContainer {
  image: UnpackedImage;
  /** Replaces the image's ENTRYPOINT (and, as `docker run --entrypoint` does, its CMD). */
  entrypoint?: string;
  /** Replaces the image's CMD when not empty. */
  args: string[];
  /** runs.env, INPUT_* and STATE_*: on top of the step's environment. */
  env: Record<string, string>;
}

/** `uses: docker://IMAGE` (docs "Using a Docker Hub action"): `with.args` split like a shell, `with.entrypoint`. */
export async function runDockerStep(run: StepRun, reference: string): Promise<StepResult> {
  const where = `${run.job.file}:${run.step.range.start.line}:${run.step.range.start.column}`;
  let image: UnpackedImage;
  try {
    image = await run.job.containers.pull(reference, `${where}: uses`);
  } catch (error) {
    return failBeforeStart(stepIo(run), (error as Error).message);
  }
  const { args, entrypoint } = run.inputs;
  return runActionContainer(run, {
    image,
    ...(entrypoint ? { entrypoint } : {}),
    args: args ? splitArguments(args) : [],
    env: inputVariables(run.inputs),
  });
}

/**
 * One phase of a Docker action (docs "Metadata syntax: runs for Docker container actions"): main runs
 * `runs.entrypoint`, pre and post their own entrypoints, all with `runs.args` evaluated against the inputs.
 */
export async function runDockerAction(
  run: StepRun,
  action: LoadedAction,
  inputs: Record<string, string>,
  phase: DockerActionPhase,
  state: Record<string, string> = {},
): Promise<StepResult> {
  const runs = action.template.runs as ActionRunsDocker;
  const entrypoint = { pre: runs.preEntrypoint, main: runs.entrypoint, post: runs.postEntrypoint }[phase];
  if (phase !== "main" && !entrypoint) return emptyStepResult("success");
  const contexts: Contexts = { ...run.contexts, inputs };
  let image: UnpackedImage;
  let args: string[];
  let env: Record<string, string>;
  try {
    image = await actionImage(run, action, runs.image);
    args = [];
    for (const arg of runs.args ?? []) args.push(await interpolateString(arg, contexts));
    env = {};
    if (action.runsEnv) {
      const value = await evaluateOrFail(action.file, action.runsEnv, contexts);
      for (const [name, entry] of Object.entries(asMapping(value))) env[name] = toDisplayString(entry);
    }
  } catch (error) {
    return failBeforeStart(stepIo(run), (error as Error).message);
  }
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  return runActionContainer(run, {
    image,
    ...(entrypoint ? { entrypoint } : {}),
    args,
    env: { ...env, ...inputVariables(inputs) },
  });
}

/** `docker://IMAGE` is pulled; anything else is a Dockerfile in the action's directory, built with buildah. */
async function actionImage(run: StepRun, action: LoadedAction, image: string): Promise<UnpackedImage> {
  if (image.startsWith("docker://")) {
    return run.job.containers.pull(image.slice("docker://".length), `${action.file}: runs.image`);
  }
  run.onLine({ stream: "system", text: `Building the action's image from ${image}` });
  // buildah runs as the runner: it builds from the store's copy, or from a copy of a local action taken out of the job.
  const contextDir =
    action.buildContext ??
    (await fetchJobTree(
      run.job.files,
      { dir: action.dir, inside: run.job.dirs.workspace },
      { env: run.env, signal: run.signal },
    ));
  try {
    const built = await buildActionImage({
      store: run.job.containers.store,
      contextDir,
      dockerfile: image,
      pathVariable: process.env["PATH"],
      onOutput: (text) => run.onLine({ stream: "stdout", text }),
      signal: run.signal,
    });
    run.job.containers.hold(built.lease);
    return built.image;
  } finally {
    if (!action.buildContext) await rm(contextDir, { recursive: true, force: true });
  }
}

async function runActionContainer(run: StepRun, call: ActionContainer): Promise<StepResult> {
  const { dirs } = run.job;
  const home = path.join(dirs.temp, "_github_home");
  const command = call.entrypoint
    ? [call.entrypoint, ...call.args]
    : [...call.image.config.entrypoint, ...(call.args.length > 0 ? call.args : call.image.config.cmd)];
  if (command.length === 0) {
    const message = `the image ${call.image.reference} has no entrypoint or cmd, and the step gives none`;
    return failBeforeStart(stepIo(run), message);
  }
  const mounts = actionMounts(dirs, home);
  try {
    // crun follows the sources as root: each it writes through must be the job's own directory (home is made here),
    // not a link the job planted; the read-only tool cache is the runner's and no job can change it.
    for (const mount of mounts) if (!mount.readOnly) await assertJobDirectory(dirs, mount.source);
  } catch (error) {
    if (!(error instanceof RunnerError)) throw error;
    return failBeforeStart(stepIo(run), error.message);
  }
  const executor: Executor = {
    name: "docker-action",
    prepare: () => Promise.reject(new Error("a Docker action's container is started per step")),
    cleanup: async () => undefined,
    exec: async (spec, onOutput) => {
      const env = toInContainerPaths({ ...spec.env, HOME: home }, dirs, home);
      try {
        return await run.job.containers.runToExit(
          { image: call.image },
          mounts,
          {
            args: [spec.command, ...spec.args],
            env: toEnvList(buildEnvironment(call.image.config.env, env)),
            cwd: actionContainerPaths.workspace,
            signal: spec.signal,
            timeoutMs: spec.timeoutMs,
          },
          onOutput,
        );
      } catch (error) {
        // The step fails with the runtime's reason; the job goes on, as with a process that cannot start.
        if (error instanceof ContainerError) throw new RunnerError("RUNNER_SPAWN_FAILED", error.message);
        throw error;
      }
    },
  };
  return runProcessStep({
    ...stepIo(run),
    command: command[0]!,
    args: command.slice(1),
    workingDirectory: dirs.workspace,
    env: { ...actionBaseEnv(run), ...call.env },
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    executor,
  });
}

/**
 * What GitHub's runner gives an action's container: its own variables and the step's env context, never the host's
 * environment (its PATH would hide the image's).
 */
function actionBaseEnv(run: StepRun): Record<string, string> {
  const github = asMapping(run.contexts["github"]);
  const runner = asMapping(run.contexts["runner"]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(asMapping(run.contexts["env"])))
    env[name] = toDisplayString(value);
  return { ...buildDefaultVariables(github, runner), ...env, GITHUB_ACTION: run.env["GITHUB_ACTION"] ?? "" };
}

/** Same name mangling as @actions/core's getInput: spaces to underscores, upper case. */
function inputVariables(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, "_").toUpperCase()}`, value]),
  );
}

/** Every job dir at its host path (RUNNER_TEMP, tool cache), and GitHub's /github paths for the rest. */
function actionMounts(dirs: JobDirectories, home: string): BindMount[] {
  return [
    // A shared tool cache is the runner's, outside the job's root: the action only reads it.
    ...Object.values(dirs).map((dir) => ({
      source: dir,
      destination: dir,
      ...(dir === dirs.toolCache && path.dirname(dir) !== jobRootOf(dirs) ? { readOnly: true } : {}),
    })),
    { source: dirs.workspace, destination: actionContainerPaths.workspace },
    { source: home, destination: actionContainerPaths.home },
    { source: dirs.fileCommands, destination: actionContainerPaths.fileCommands },
    { source: dirs.fileCommands, destination: actionContainerPaths.workflow },
  ];
}

/** GITHUB_WORKSPACE, HOME, GITHUB_EVENT_PATH and the env files as the container sees them. */
function toInContainerPaths(
  env: Record<string, string>,
  dirs: JobDirectories,
  home: string,
): Record<string, string> {
  const prefixes: [string, string][] = [
    [dirs.workspace, actionContainerPaths.workspace],
    [home, actionContainerPaths.home],
    [path.join(dirs.fileCommands, "event.json"), `${actionContainerPaths.workflow}/event.json`],
    [dirs.fileCommands, actionContainerPaths.fileCommands],
  ];
  const mapped: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const prefix = prefixes.find(([host]) => value === host || value.startsWith(`${host}/`));
    mapped[name] = prefix ? prefix[1] + value.slice(prefix[0].length) : value;
  }
  return mapped;
}

function asMapping(value: ExpressionValue | undefined): Record<string, ExpressionValue> {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

function stepIo(run: StepRun) {
  return { dirs: run.job.dirs, masker: run.job.masker, onLine: run.onLine, stepDebug: run.job.stepDebug };
}
