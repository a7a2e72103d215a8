// `hangar run`: finds the workflows an event triggers in a local repository and runs them on this machine.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  matchEvent,
  refForEvent,
  validateDispatchInputs,
  type ExpressionValue,
  type WorkflowModel,
} from "../../workflow/index.js";
import {
  buildGithubContext,
  builtinActions,
  DryRunExecutor,
  HostExecutor,
  readToolSourceSettings,
  ToolError,
  type RunIdentity,
  type ToolSourceSettings,
} from "../../runner/index.js";
import { formatGraph, formatList, listJobInstances, selectedIds } from "../list-jobs.js";
import { ConcurrencyGroups, newRunId, runWorkflow, type RunResult } from "../../engine/index.js";
import { readChangedFiles, readGitInfo } from "../git-info.js";
import { fitPayloadToWorkflow, generatePayload } from "../event-payload.js";
import { attachRenderer, formatJobSummaries, formatRunTable, shouldUseColor } from "../render-run.js";
import { parsePairs, readPairsFile } from "../key-value-pairs.js";
import { dataDirOption } from "../data-location.js";
import { loadWorkflows, readLocalCalledWorkflow } from "../workflow-files.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { readActionSource } from "../action-source-options.js";
import { executorOptions, executorUsage, isolatedBaseEnv, openPlacement } from "../executor-options.js";

export const runUsage = `Usage: hangar run [REPO_DIR] [options]

Runs the workflows in REPO_DIR/.github/workflows that the event triggers.

Options:
  -W, --workflow FILE     run this workflow file only: a path relative to REPO_DIR, or a file name in
                          REPO_DIR/.github/workflows
      --event NAME        the triggering event (default: push, or workflow_dispatch when inputs are given);
                          without -e, a payload in GitHub's shape is made from git (a pull request is opened
                          from this branch into the default branch)
  -e, --event-path FILE   the event payload (JSON, GitHub's webhook shape); its inputs feed workflow_dispatch
  -j, --job ID            run only this job and the jobs it needs (repeatable)
      --input K=V         a workflow_dispatch input (repeatable)
      --var K=V           a configuration variable, the vars context (repeatable)
      --secret K=V        a secret (repeatable); masked in all output
      --secret-file F     secrets from a dotenv file
      --github-token T    secrets.GITHUB_TOKEN and github.token (default: $GITHUB_TOKEN); masked
      --env-file F        extra environment variables for every step, from a dotenv file
      --max-parallel N    job instances at once (default: number of cores)
      --require-pinned-actions  refuse remote actions not pinned to a full 40-character commit SHA
      --real-actions      run the real actions/checkout, setup-*, cache and artifact actions from the action store
                          (fetched on first use) instead of hangar's built-ins; they share the tool cache
      --real-action NAME  the same for one of them, e.g. actions/setup-node (repeatable)
      --data-dir DIR      action store, artifacts, caches and the tool cache (default: $HANGAR_DATA_DIR or
                          ~/.local/share/hangar)
      --tool-source LIST  where setup-node, setup-python, setup-go and setup-java look for a version, in order:
                          cache, host, npm, mirror (default: $HANGAR_TOOL_SOURCES, else cache,host,npm,mirror)
      --node-mirror URL   a mirror shaped like nodejs.org/dist (default: $HANGAR_NODE_MIRROR, else nodejs.org)
      --python-mirror URL python-build-standalone archives with their SHA256SUMS (default: $HANGAR_PYTHON_MIRROR,
                          else the latest python-build-standalone release)
      --go-mirror URL     a mirror shaped like go.dev/dl (default: $HANGAR_GO_MIRROR, else go.dev/dl)
      --java-mirror URL   a server with the Adoptium API (default: $HANGAR_JAVA_MIRROR, else api.adoptium.net)
      --bind              run every job in REPO_DIR itself; by default each job works in its own copy of the
                          checkout (tracked and untracked-not-ignored files, and .git) and never writes REPO_DIR
      --list              list the job instances that would run (matrices expanded, called workflows' jobs
                          under their caller), then exit
      --graph             show the jobs as stages of the needs graph, then exit
      --dry-run           plan and evaluate everything, run no process
      --json              print one JSON result on stdout instead of the table
      --debug             show ::debug:: lines
      --github-url URL    GitHub, where actions and reusable workflows missing from the action store come
                          from on first use, as URL/OWNER/REPO.git; also github.server_url (default:
                          https://github.com; GitHub Enterprise Server: https://HOST or https://HOST/api/v3)
      --offline           fetch nothing: an action missing from the store fails its step, naming the
                          command that adds it

${executorUsage("host")}`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workflow: { type: "string", short: "W" },
      event: { type: "string" },
      "event-path": { type: "string", short: "e" },
      job: { type: "string", short: "j", multiple: true },
      input: { type: "string", multiple: true },
      var: { type: "string", multiple: true },
      secret: { type: "string", multiple: true },
      "secret-file": { type: "string" },
      "github-token": { type: "string" },
      "env-file": { type: "string" },
      ...executorOptions,
      "max-parallel": { type: "string" },
      "data-dir": { type: "string" },
      "require-pinned-actions": { type: "boolean" },
      "real-actions": { type: "boolean" },
      "real-action": { type: "string", multiple: true },
      bind: { type: "boolean" },
      "tool-source": { type: "string" },
      "node-mirror": { type: "string" },
      "python-mirror": { type: "string" },
      "go-mirror": { type: "string" },
      "java-mirror": { type: "string" },
      "github-url": { type: "string" },
      offline: { type: "boolean" },
      list: { type: "boolean" },
      graph: { type: "boolean" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      debug: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(runUsage);
    return ExitCode.Success;
  }
  if (positionals.length > 1)
    throw new UsageError(`expected at most one REPO_DIR, got ${positionals.join(" ")}`);
  const realActions = readRealActions(values["real-actions"] ?? false, values["real-action"] ?? []);
  const repoDir = path.resolve(positionals[0] ?? ".");

  const given = values["event-path"] ? await readPayload(values["event-path"]) : undefined;
  // Docs "workflow_dispatch" webhook: the payload's `inputs` are the dispatch's inputs; --input adds to them.
  const inputsGiven = { ...inputsOf(given), ...parsePairs(values.input ?? [], "--input") };
  const eventName = values.event ?? (Object.keys(inputsGiven).length > 0 ? "workflow_dispatch" : "push");
  const git = await readGitInfo(repoDir);
  const payload = given
    ? { ...given, ...(eventName === "workflow_dispatch" ? { inputs: inputsGiven } : {}) }
    : generatePayload(eventName, git, inputsGiven);
  const { sha, ref } = refForEvent(eventName, payload, { sha: git.sha, ref: git.ref });
  const before = typeof payload["before"] === "string" ? payload["before"] : git.parent;
  const changedFiles = await readChangedFiles(repoDir, before, sha);

  const workflows = await loadWorkflows(repoDir, values.workflow);
  if (workflows === undefined) return ExitCode.InvalidWorkflow;

  const selected: {
    workflow: WorkflowModel;
    inputs: Record<string, ExpressionValue>;
    payload: Record<string, ExpressionValue>;
  }[] = [];
  for (const workflow of workflows) {
    const fitted = given ? payload : fitPayloadToWorkflow(eventName, payload, workflow.events);
    const decision = matchEvent(workflow.events, { name: eventName, payload: fitted, changedFiles });
    if (!decision.triggered) {
      process.stderr.write(`${workflow.file}: not triggered: ${decision.reason}\n`);
      continue;
    }
    const validation = validateDispatchInputs(
      eventName === "workflow_dispatch" ? workflow.events.workflow_dispatch?.inputs : undefined,
      eventName === "workflow_dispatch" ? inputsGiven : {},
    );
    if (validation.errors.length > 0) {
      for (const error of validation.errors)
        process.stderr.write(`${workflow.file}: error INPUT_INVALID: ${error}\n`);
      return ExitCode.InvalidWorkflow;
    }
    for (const job of values.job ?? []) {
      if (!workflow.jobs.some((j) => j.id === job)) {
        throw new UsageError(
          `${workflow.file}: no job '${job}' (jobs: ${workflow.jobs.map((j) => j.id).join(", ")})`,
        );
      }
    }
    selected.push({ workflow, inputs: validation.inputs, payload: fitted });
  }
  if (selected.length === 0) {
    process.stderr.write(`no workflow is triggered by '${eventName}'\n`);
    return ExitCode.Success;
  }

  const dataDir = dataDirOption(values["data-dir"]);
  const githubToken = values["github-token"] ?? process.env["GITHUB_TOKEN"];
  const secrets = {
    ...(githubToken ? { GITHUB_TOKEN: githubToken } : {}),
    ...(values["secret-file"] ? await readPairsFile(values["secret-file"]) : {}),
    ...parsePairs(values.secret ?? [], "--secret"),
  };
  const requirePinnedActions = values["require-pinned-actions"] ?? false;
  const actionSource = readActionSource(values);
  const readCalled = (uses: string) =>
    readLocalCalledWorkflow(repoDir, uses, dataDir, {
      requirePinnedSha: requirePinnedActions,
      source: actionSource,
      ...(secrets["GITHUB_TOKEN"] ? { token: secrets["GITHUB_TOKEN"] } : {}),
    });
  const vars = parsePairs(values.var ?? [], "--var");
  const identity = (runNumber: number): RunIdentity => ({
    runId: newRunId(),
    runNumber,
    attempt: 1,
    actor: git.actor,
    sha,
    ref,
    repository: { owner: git.owner, name: git.name },
    serverUrl: actionSource.githubUrl,
  });

  if (values.graph) {
    for (const { workflow } of selected) process.stdout.write(formatGraph(workflow, values.job));
    return ExitCode.Success;
  }
  if (values.list) {
    for (const [index, { workflow, inputs, payload: workflowPayload }] of selected.entries()) {
      const github = buildGithubContext({
        identity: identity(index + 1),
        event: { name: eventName, payload: workflowPayload },
        workflowName: workflow.name,
        workflowFile: workflow.file,
        workspace: repoDir,
        eventPath: "",
        jobId: "",
      });
      const ids = selectedIds(workflow, values.job);
      const rows = await listJobInstances(workflow, ids, { github, inputs, vars, needs: {} }, readCalled);
      process.stdout.write(formatList(rows));
    }
    return ExitCode.Success;
  }

  const toolSources = toolSourceSettingsOf({
    order: values["tool-source"],
    nodeMirror: values["node-mirror"],
    pythonMirror: values["python-mirror"],
    goMirror: values["go-mirror"],
    javaMirror: values["java-mirror"],
  });
  const extraEnv = values["env-file"] ? await readPairsFile(values["env-file"]) : {};
  const jobsDir = path.join(os.tmpdir(), "hangar", "jobs");
  const maxParallel = values["max-parallel"] ? Number(values["max-parallel"]) : undefined;
  if (maxParallel !== undefined && !(Number.isInteger(maxParallel) && maxParallel > 0)) {
    throw new UsageError(`--max-parallel must be a positive whole number, got ${values["max-parallel"]}`);
  }

  const opened = values["dry-run"]
    ? {
        placement: {
          executor: new DryRunExecutor(new HostExecutor({ baseDir: path.join(jobsDir, "host") })),
        },
        describe: [],
        close: async () => undefined,
      }
    : await openPlacement(values, {
        dataDir,
        jobsDir,
        defaultKind: "host",
        warn: (message) => process.stderr.write(`hangar run: ${message}\n`),
      });
  // The host executor is what a laptop expects; any other is announced, with what it warns about.
  for (const line of opened.describe.filter((text) => !text.startsWith("host executor"))) {
    process.stderr.write(`hangar run: ${line}\n`);
  }
  const concurrencyGroups = new ConcurrencyGroups();
  const results: RunResult[] = [];
  try {
    for (const [index, { workflow, inputs, payload: workflowPayload }] of selected.entries()) {
      const handle = runWorkflow(workflow, {
        ...opened.placement,
        identity: identity(index + 1),
        event: { name: eventName, payload: workflowPayload },
        inputs,
        vars,
        secrets,
        workspace: repoDir,
        bindWorkspace: values.bind ?? false,
        sourceRepository: repoDir,
        dataDir,
        jobs: values.job,
        requirePinnedActions,
        ...(realActions.length > 0 ? { realActions } : {}),
        actionSource,
        concurrencyGroups,
        maxParallel,
        baseEnv: {
          ...(opened.placement.executor.name === "host"
            ? (process.env as Record<string, string>)
            : isolatedBaseEnv(process.env)),
          ...extraEnv,
        },
        stepDebug: values.debug ?? false,
        toolSources,
        readCalledWorkflow: readCalled,
      });
      attachRenderer(handle, {
        stream: process.stderr,
        color: shouldUseColor(process.stderr),
        showDebug: values.debug ?? false,
      });
      const onSignal = () => handle.cancel();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      results.push(await handle.result);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  } finally {
    await opened.close();
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + "\n");
  } else {
    const summaries = results.map(formatJobSummaries).filter(Boolean);
    process.stdout.write([...results.map(formatRunTable), ...summaries].join("\n\n") + "\n");
  }
  return results.every((r) => r.conclusion === "success") ? ExitCode.Success : ExitCode.JobFailed;
}

async function readPayload(file: string): Promise<Record<string, ExpressionValue>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read event payload ${file}: ${(error as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new Error("not a JSON object");
    return value as Record<string, ExpressionValue>;
  } catch (error) {
    throw new UsageError(`event payload ${file} is not a JSON object: ${(error as Error).message}`);
  }
}

/** The string inputs of a `-e` payload (`workflow_dispatch`'s shape). */
function inputsOf(payload: Record<string, ExpressionValue> | undefined): Record<string, string> {
  const inputs = payload?.["inputs"];
  if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) return {};
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, String(value)]));
}

function toolSourceSettingsOf(overrides: Parameters<typeof readToolSourceSettings>[1]): ToolSourceSettings {
  try {
    return readToolSourceSettings(process.env, overrides);
  } catch (error) {
    if (error instanceof ToolError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--real-actions` (every built-in) and `--real-action NAME`: the names classifyStep compares, checked here. */
function readRealActions(all: boolean, named: string[]): string[] {
  if (all) return [...builtinActions];
  return named.map((name) => {
    const wanted = name.trim().toLowerCase().replace(/@.*$/, "");
    const builtin = builtinActions.find((each) => each === wanted);
    if (!builtin)
      throw new UsageError(
        `--real-action: '${name}' is not one of hangar's built-ins (${builtinActions.join(", ")})`,
      );
    return builtin;
  });
}
