// `hangar run`: finds the workflows an event triggers in a local repository and runs them on this machine.
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  formatDiagnostic,
  loadWorkflow,
  matchEvent,
  refForEvent,
  stageJobs,
  validateDispatchInputs,
  type ExpressionValue,
  type SourceFile,
  type WorkflowModel,
} from "../../workflow/index.js";
import { DryRunExecutor, HostExecutor, parseActionReference, resolveAction } from "../../runner/index.js";
import { ConcurrencyGroups, newRunId, runWorkflow, type RunResult } from "../../engine/index.js";
import { readChangedFiles, readGitInfo } from "../git-info.js";
import { attachRenderer, formatRunTable, shouldUseColor } from "../render-run.js";
import { parsePairs, readPairsFile } from "../key-value-pairs.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { executorOptions, executorUsage, isolatedBaseEnv, openPlacement } from "../executor-options.js";

export const runUsage = `Usage: hangar run [REPO_DIR] [options]

Runs the workflows in REPO_DIR/.github/workflows that the event triggers.

Options:
  -W, --workflow FILE     run this workflow file only
      --event NAME        the triggering event (default: push, or workflow_dispatch when --input is given)
  -e, --event-path FILE   the event payload (JSON, GitHub's webhook shape)
  -j, --job ID            run only this job and the jobs it needs (repeatable)
      --input K=V         a workflow_dispatch input (repeatable)
      --var K=V           a configuration variable, the vars context (repeatable)
      --secret K=V        a secret (repeatable); masked in all output
      --secret-file F     secrets from a dotenv file
      --env-file F        extra environment variables for every step, from a dotenv file
      --max-parallel N    job instances at once (default: number of cores)
      --require-pinned-actions  refuse remote actions not pinned to a full 40-character commit SHA
      --data-dir DIR      action store, artifacts and caches (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --list              list the jobs that would run, then exit
      --graph             show the jobs as stages of the needs graph, then exit
      --dry-run           plan and evaluate everything, run no process
      --json              print one JSON result on stdout instead of the table
      --debug             show ::debug:: lines

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
      "env-file": { type: "string" },
      ...executorOptions,
      "max-parallel": { type: "string" },
      "data-dir": { type: "string" },
      "require-pinned-actions": { type: "boolean" },
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
  const repoDir = path.resolve(positionals[0] ?? ".");

  const inputsGiven = parsePairs(values.input ?? [], "--input");
  const eventName = values.event ?? (Object.keys(inputsGiven).length > 0 ? "workflow_dispatch" : "push");
  const git = await readGitInfo(repoDir);
  const payload = values["event-path"]
    ? await readPayload(values["event-path"])
    : defaultPayload(eventName, git, inputsGiven);
  const { sha, ref } = refForEvent(eventName, payload, { sha: git.sha, ref: git.ref });
  const before = typeof payload["before"] === "string" ? payload["before"] : git.parent;
  const changedFiles = await readChangedFiles(repoDir, before, sha);

  const workflows = await loadWorkflows(repoDir, values.workflow);
  if (workflows === undefined) return ExitCode.InvalidWorkflow;

  const selected: { workflow: WorkflowModel; inputs: Record<string, ExpressionValue> }[] = [];
  for (const workflow of workflows) {
    const decision = matchEvent(workflow.events, { name: eventName, payload, changedFiles });
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
    selected.push({ workflow, inputs: validation.inputs });
  }
  if (selected.length === 0) {
    process.stderr.write(`no workflow is triggered by '${eventName}'\n`);
    return ExitCode.Success;
  }

  if (values.list || values.graph) {
    for (const { workflow } of selected) {
      process.stdout.write(
        values.graph ? formatGraph(workflow, values.job) : formatList(workflow, values.job),
      );
    }
    return ExitCode.Success;
  }

  const secrets = {
    ...(values["secret-file"] ? await readPairsFile(values["secret-file"]) : {}),
    ...parsePairs(values.secret ?? [], "--secret"),
  };
  const extraEnv = values["env-file"] ? await readPairsFile(values["env-file"]) : {};
  const jobsDir = path.join(os.tmpdir(), "hangar", "jobs");
  const maxParallel = values["max-parallel"] ? Number(values["max-parallel"]) : undefined;
  if (maxParallel !== undefined && !(Number.isInteger(maxParallel) && maxParallel > 0)) {
    throw new UsageError(`--max-parallel must be a positive whole number, got ${values["max-parallel"]}`);
  }

  const dataDir = dataDirOption(values["data-dir"]);
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
  const requirePinnedActions = values["require-pinned-actions"] ?? false;
  const concurrencyGroups = new ConcurrencyGroups();
  const results: RunResult[] = [];
  try {
    for (const [index, { workflow, inputs }] of selected.entries()) {
      const handle = runWorkflow(workflow, {
        ...opened.placement,
        identity: {
          runId: newRunId(),
          runNumber: index + 1,
          attempt: 1,
          actor: git.actor,
          sha,
          ref,
          repository: { owner: git.owner, name: git.name },
          serverUrl: "https://github.com",
        },
        event: { name: eventName, payload },
        inputs,
        vars: parsePairs(values.var ?? [], "--var"),
        secrets,
        workspace: repoDir,
        sourceRepository: repoDir,
        dataDir,
        jobs: values.job,
        requirePinnedActions,
        concurrencyGroups,
        maxParallel,
        baseEnv: {
          ...(opened.placement.executor.name === "host"
            ? (process.env as Record<string, string>)
            : isolatedBaseEnv(process.env)),
          ...extraEnv,
        },
        stepDebug: values.debug ?? false,
        readCalledWorkflow: (uses) => readCalledWorkflow(repoDir, uses, dataDir, requirePinnedActions),
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
    process.stdout.write(results.map(formatRunTable).join("\n\n") + "\n");
  }
  return results.every((r) => r.conclusion === "success") ? ExitCode.Success : ExitCode.JobFailed;
}

async function loadWorkflows(
  repoDir: string,
  only: string | undefined,
): Promise<WorkflowModel[] | undefined> {
  const files = only ? [path.resolve(only)] : await listWorkflowFiles(repoDir);
  if (files.length === 0)
    throw new UsageError(`no workflow files in ${path.join(repoDir, ".github/workflows")}`);
  const workflows: WorkflowModel[] = [];
  let errors = 0;
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    let content: string;
    try {
      content = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read workflow ${shown}: ${(error as Error).message}`);
    }
    const loaded = await loadWorkflow({ path: shown, content });
    for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
    errors += loaded.diagnostics.filter((d) => d.severity === "error").length;
    if (loaded.workflow) workflows.push(loaded.workflow);
  }
  if (errors > 0) {
    process.stderr.write(`${errors} error${errors === 1 ? "" : "s"}\n`);
    return undefined;
  }
  return workflows;
}

/** `./.github/workflows/x.yml` from the repository; `owner/repo/path@ref` from the offline action store. */
async function readCalledWorkflow(
  repoDir: string,
  uses: string,
  dataDir: string,
  requirePinnedSha: boolean,
): Promise<SourceFile> {
  let file: string;
  if (uses.startsWith("./")) {
    file = path.resolve(repoDir, uses);
    if (!file.startsWith(repoDir + path.sep))
      throw new Error(`reusable workflow '${uses}' is outside the repository`);
  } else {
    file = (await resolveAction(dataDir, parseActionReference(uses), { requirePinnedSha })).dir;
  }
  try {
    return { path: path.relative(process.cwd(), file) || file, content: await readFile(file, "utf8") };
  } catch (error) {
    throw new Error(`cannot read reusable workflow '${uses}': ${(error as Error).message}`, { cause: error });
  }
}

async function listWorkflowFiles(repoDir: string): Promise<string[]> {
  const dir = path.join(repoDir, ".github", "workflows");
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => path.join(dir, name));
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

/** A minimal payload in GitHub's webhook shape, for runs without `-e`. */
function defaultPayload(
  eventName: string,
  git: Awaited<ReturnType<typeof readGitInfo>>,
  inputs: Record<string, string>,
): Record<string, ExpressionValue> {
  const repository = {
    name: git.name,
    full_name: `${git.owner}/${git.name}`,
    owner: { login: git.owner, name: git.owner },
    default_branch: git.ref.replace(/^refs\/heads\//, ""),
  };
  const sender = { login: git.actor };
  if (eventName === "push") {
    return {
      ref: git.ref,
      before: git.parent,
      after: git.sha,
      repository,
      sender,
      pusher: { name: git.actor },
    };
  }
  if (eventName === "workflow_dispatch") return { ref: git.ref, inputs, repository, sender };
  return { repository, sender };
}

function selectedIds(workflow: WorkflowModel, only: string[] | undefined): Set<string> {
  if (!only?.length) return new Set(workflow.jobs.map((j) => j.id));
  const ids = new Set<string>();
  const add = (id: string) => {
    if (ids.has(id)) return;
    ids.add(id);
    workflow.jobs.find((j) => j.id === id)?.needs.forEach(add);
  };
  only.forEach(add);
  return ids;
}

function formatList(workflow: WorkflowModel, only: string[] | undefined): string {
  const ids = selectedIds(workflow, only);
  const rows = workflow.jobs
    .filter((j) => ids.has(j.id))
    .map((j) => `${workflow.file}\t${j.id}\t${j.needs.join(",") || "-"}`);
  return ["WORKFLOW\tJOB\tNEEDS", ...rows].join("\n") + "\n";
}

function formatGraph(workflow: WorkflowModel, only: string[] | undefined): string {
  const ids = selectedIds(workflow, only);
  const stages = stageJobs(workflow.jobs.filter((j) => ids.has(j.id)));
  const lines = [`${workflow.name} (${workflow.file})`];
  stages.forEach((stage, index) => {
    lines.push(`  stage ${index + 1}: ${stage.join(", ")}`);
    for (const id of stage) {
      const needs = workflow.jobs.find((j) => j.id === id)?.needs ?? [];
      if (needs.length) lines.push(`    ${id} <- ${needs.join(", ")}`);
    }
  });
  return lines.join("\n") + "\n";
}
