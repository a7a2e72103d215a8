// `uses:` steps naming an action (local `./path` or `owner/repo@ref` from the store): load it, apply its inputs, run it.
import path from "node:path";
import type { ActionRunsDocker } from "@actions/workflow-parser/actions/action-template";
import {
  evaluateCondition,
  formatDiagnostic,
  loadCompositeSteps,
  toDisplayString,
  type Contexts,
  type ExpressionValue,
} from "../../workflow/index.js";
import { parseActionReference } from "../actions/action-reference.js";
import { stageActionForJob } from "../actions/action-store.js";
import {
  ActionLoadError,
  evaluateActionInputs,
  loadAction,
  parseAction,
  type LoadedAction,
} from "../actions/load-action.js";
import type { AgentFindActionDone } from "../job-files/file-agent-protocol.js";
import { FileAgentRefusal } from "../job-files/job-file-agent.js";
import { stepsContext } from "../step-loop.js";
import { failedStepResult, emptyStepResult } from "../step-result.js";
import type { StepResult } from "../types.js";
import { runDockerAction } from "./docker-action.js";
import { runNodeAction } from "./node-action.js";
import type { StepRun } from "./step-kind.js";

interface PreparedAction {
  action: LoadedAction;
  contexts: Contexts;
  inputs: Record<string, string>;
}

async function prepareAction(
  run: StepRun,
  uses: string,
  isLocal: boolean,
): Promise<PreparedAction | StepResult> {
  let action: LoadedAction;
  try {
    if (isLocal) {
      action = await loadLocalAction(run, uses);
    } else {
      const reference = parseActionReference(uses);
      const staged = await stageActionForJob(
        run.job.dataDir,
        reference,
        {
          requirePinnedSha: run.job.requirePinnedSha,
          ...(run.job.actionSource ? { source: run.job.actionSource } : {}),
          ...jobToken(run.contexts),
        },
        run.job.dirs,
      );
      // Read from the store, run from the job's copy.
      const stored = await loadAction(staged.storeDir, uses);
      action = {
        ...stored,
        dir: staged.dir,
        file: path.join(staged.dir, path.relative(staged.storeDir, stored.file)),
        buildContext: staged.storeDir,
        repository: `${reference.owner}/${reference.repo}`,
        ref: reference.ref,
      };
    }
  } catch (error) {
    return failedStepResult((error as Error).message);
  }
  const contexts: Contexts = {
    ...run.contexts,
    github: { ...(run.contexts["github"] as Record<string, ExpressionValue>), action_path: action.dir },
  };
  const { inputs, warnings } = await evaluateActionInputs(action.template, run.inputs, async (token) =>
    toDisplayString(await run.job.evaluate(token, contexts)),
  );
  for (const warning of warnings) {
    run.onLine({ stream: "system", text: warning, annotation: { level: "warning", message: warning } });
  }
  return { action, contexts, inputs };
}

/**
 * The token GitHub's runner downloads actions with: the job's `github.token` (`secrets.GITHUB_TOKEN` is the same
 * token on GitHub; locally it may be the only one given).
 */
function jobToken(contexts: Contexts): { token?: string } {
  const github = contexts["github"] as Record<string, ExpressionValue> | undefined;
  const secrets = contexts["secrets"] as Record<string, ExpressionValue> | undefined;
  const token = github?.["token"] || secrets?.["GITHUB_TOKEN"];
  return typeof token === "string" && token !== "" ? { token } : {};
}

/** Action metadata is small; a larger file is not one. */
const actionMetadataMaxBytes = 1024 * 1024;

/**
 * `uses: ./path` (docs "jobs.<job_id>.steps[*].uses", "Example: Using an action in the same repository"): the file
 * agent finds it inside the job, and refuses a directory whose real path (links resolved in the job's view) is not
 * inside the workspace.
 */
async function loadLocalAction(run: StepRun, uses: string): Promise<LoadedAction> {
  const { workspace } = run.job.dirs;
  let found: AgentFindActionDone;
  try {
    found = await run.job.files.call<AgentFindActionDone>(
      {
        op: "find-action",
        dir: path.resolve(workspace, uses),
        inside: workspace,
        maxBytes: actionMetadataMaxBytes,
      },
      { env: run.env, signal: run.signal },
    );
  } catch (error) {
    if (!(error instanceof FileAgentRefusal)) throw error;
    const reason =
      error.code === "OUTSIDE" ? `it is not inside the workspace: ${error.message}` : error.message;
    throw new ActionLoadError(uses, [], `Can't use the action '${uses}': ${reason}`);
  }
  if (typeof found.dir !== "string" || (found.file !== undefined && typeof found.file !== "string")) {
    throw new ActionLoadError(
      uses,
      [],
      `Can't use the action '${uses}': the file agent answered out of protocol`,
    );
  }
  const content =
    typeof found.content === "string" ? Buffer.from(found.content, "base64").toString("utf8") : undefined;
  return parseAction({ dir: found.dir, ...(found.file ? { file: found.file } : {}), content }, uses);
}

/**
 * A remote action's `pre` (JavaScript) or `pre-entrypoint` (Docker), run when the job starts (docs "runs.pre",
 * "runs.pre-entrypoint"), before any main step; undefined when there is none or its `pre-if` is false. Its saved
 * state reaches main and post.
 */
export async function prepareActionPre(
  run: StepRun,
  uses: string,
): Promise<(() => Promise<StepResult>) | undefined> {
  const prepared = await prepareAction(run, uses, false);
  if (!("action" in prepared)) return undefined;
  const { action, contexts, inputs } = prepared;
  const { runs } = action.template;
  if (runs.using === "composite") return undefined;
  const hasPre = runs.using === "docker" ? runs.preEntrypoint !== undefined : runs.pre !== undefined;
  if (!hasPre || !(await evaluateCondition(runs.preIf ?? "always()", contexts, {}))) return undefined;
  return async () => {
    const pre =
      runs.using === "docker"
        ? await runDockerAction({ ...run, contexts }, action, inputs, "pre")
        : await runNodeAction({ ...run, inputs }, action, "pre");
    run.job.preStates.set(run.step, pre.state);
    return pre;
  };
}

export async function runActionStep(run: StepRun, uses: string, isLocal: boolean): Promise<StepResult> {
  const prepared = await prepareAction(run, uses, isLocal);
  if (!("action" in prepared)) return prepared;
  const { action, contexts, inputs } = prepared;
  const { runs } = action.template;
  if (runs.using === "composite") return runComposite(run, action, contexts, inputs);
  if (runs.using === "docker") return runDockerActionPhases({ ...run, contexts }, action, inputs);

  let preState = run.job.preStates.get(run.step);
  if (preState === undefined && runs.pre) {
    // A local action is not there when the job starts, so its `pre` runs right before `main`.
    if (await evaluateCondition(runs.preIf ?? "always()", contexts, {})) {
      const pre = await runNodeAction({ ...run, inputs }, action, "pre");
      if (pre.outcome !== "success") return pre;
      preState = pre.state;
    }
  }
  const main = await runNodeAction({ ...run, inputs }, action, "main", preState);
  if (runs.post) {
    run.job.registerPost({
      name: run.ref.name.replace(/^Run /, ""),
      stepId: run.step.id,
      condition: runs.postIf ?? "always()",
      run: (signal, onLine) =>
        runNodeAction({ ...run, inputs, signal, onLine }, action, "post", { ...preState, ...main.state }),
    });
  }
  return main;
}

/**
 * pre-entrypoint (unless it already ran at job start, as a remote action's does; a local action's runs right before
 * main), main, and post-entrypoint as a post step.
 */
async function runDockerActionPhases(
  run: StepRun,
  action: LoadedAction,
  inputs: Record<string, string>,
): Promise<StepResult> {
  const runs = action.template.runs as ActionRunsDocker;
  let preState = run.job.preStates.get(run.step);
  if (preState === undefined && (await evaluateCondition(runs.preIf ?? "always()", run.contexts, {}))) {
    const pre = await runDockerAction(run, action, inputs, "pre");
    if (pre.outcome !== "success") return pre;
    preState = pre.state;
  }
  const main = await runDockerAction(run, action, inputs, "main", preState);
  if (runs.postEntrypoint) {
    run.job.registerPost({
      name: run.ref.name.replace(/^Run /, ""),
      stepId: run.step.id,
      condition: runs.postIf ?? "always()",
      run: (signal, onLine) =>
        runDockerAction({ ...run, signal, onLine }, action, inputs, "post", { ...preState, ...main.state }),
    });
  }
  return main;
}

/** Composite actions (docs "Metadata syntax: runs for composite actions"): their steps run inside this step. */
async function runComposite(
  run: StepRun,
  action: LoadedAction,
  contexts: Contexts,
  inputs: Record<string, string>,
): Promise<StepResult> {
  const file = path.relative(process.cwd(), action.file) || action.file;
  const loaded = loadCompositeSteps({ path: file, content: action.content ?? "" });
  if (!loaded.steps) return failedStepResult(loaded.diagnostics.map(formatDiagnostic).join("\n"));

  const env = { ...(run.contexts["env"] as Record<string, string>), GITHUB_ACTION_PATH: action.dir };
  const nestedContexts: Contexts = { ...contexts, inputs };
  const nested = await run.job.runNestedSteps({
    file,
    steps: loaded.steps,
    contexts: nestedContexts,
    env,
    outerStep: { ref: run.ref, onLine: run.onLine },
  });
  const outputs: Record<string, string> = {};
  const outputContexts: Contexts = { ...nestedContexts, env, steps: stepsContext(nested.results) };
  for (const output of action.template.outputs ?? []) {
    outputs[output.id] = output.value
      ? toDisplayString(await run.job.evaluate(output.value, outputContexts))
      : "";
  }
  if (nested.failed)
    return {
      ...failedStepResult(nested.firstFailure ?? `${file}: a step of the composite action failed`),
      outputs,
    };
  return emptyStepResult("success", outputs);
}
