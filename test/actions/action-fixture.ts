// Test fixture for action tests: testdata actions copied to temp dirs (with @actions/* resolvable), a real HostExecutor, one phase at a time.
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HostExecutor, Masker } from "../../src/runner/index.js";
import type { JobDirectories, LogLine, StepResult } from "../../src/runner/index.js";
import { loadAction, type LoadedAction } from "../../src/runner/actions/load-action.js";
import { runNodeAction, type NodeActionPhase } from "../../src/runner/step-kinds/node-action.js";
import { readToolSourceSettings, ToolCache } from "../../src/runner/tools/index.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const testdataActions = path.join(repoRoot, "testdata/actions");

/** A reusable workflow whose output `said` is `hi <inputs.name>`. */
export const sayingCalledWorkflow = `on:
  workflow_call:
    inputs:
      name:
        type: string
        required: true
    outputs:
      said:
        value: \${{ jobs.say.outputs.said }}
jobs:
  say:
    runs-on: ubuntu-latest
    outputs:
      said: \${{ steps.s.outputs.said }}
    steps:
      - id: s
        run: echo "said=hi \${{ inputs.name }}" >> "$GITHUB_OUTPUT"
`;

export interface ActionFixture {
  executor: HostExecutor;
  dirs: JobDirectories;
  /** A scratch directory removed by dispose. */
  temp: string;
  dispose(): Promise<void>;
}

export async function createActionFixture(): Promise<ActionFixture> {
  const temp = await mkdtemp(path.join(tmpdir(), "hangar-actions-test-"));
  const executor = new HostExecutor({ baseDir: path.join(temp, "runner") });
  const dirs = await executor.prepare({ runId: "run-1", jobKey: "build" });
  return {
    executor,
    dirs,
    temp,
    async dispose() {
      await executor.cleanup(dirs);
      await rm(temp, { recursive: true, force: true });
    },
  };
}

/**
 * Copies testdata/actions/<name> out of the repository, as the action store would, and links
 * node_modules/@actions to the repository's so an action importing @actions/core runs unmodified.
 */
export async function copyTestAction(fixture: ActionFixture, name: string): Promise<string> {
  const dir = await mkdtemp(path.join(fixture.temp, `${name}-`));
  await cp(path.join(testdataActions, name), dir, { recursive: true });
  await mkdir(path.join(dir, "node_modules"));
  await symlink(path.join(repoRoot, "node_modules/@actions"), path.join(dir, "node_modules/@actions"), "dir");
  return dir;
}

export interface PhaseRun {
  result: StepResult;
  lines: LogLine[];
  /** Texts of the action's own non-command lines. */
  texts: string[];
  /** Everything any sink received, to search for leaked secrets. */
  allText: string;
}

export async function runPhase(
  fixture: ActionFixture,
  action: LoadedAction,
  phase: NodeActionPhase,
  options: { inputs?: Record<string, string>; state?: Record<string, string>; masker?: Masker } = {},
): Promise<PhaseRun> {
  const lines: LogLine[] = [];
  const result = await runNodeAction(
    {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
      inputs: options.inputs ?? {},
      signal: new AbortController().signal,
      onLine: (line) => lines.push(line),
      job: {
        dirs: fixture.dirs,
        executor: fixture.executor,
        masker: options.masker ?? new Masker(),
        stepDebug: false,
        // The runner's own node serves every action here; a newer `using` would install into this cache.
        tools: { cache: new ToolCache(fixture.dirs.toolCache), sources: readToolSourceSettings({}) },
      },
    },
    action,
    phase,
    options.state,
  );
  const texts = lines.filter((l) => l.stream !== "system" && !l.annotation).map((l) => l.text);
  return { result, lines, texts, allText: JSON.stringify({ lines, result }) };
}

export async function loadTestAction(fixture: ActionFixture, name: string): Promise<LoadedAction> {
  return loadAction(await copyTestAction(fixture, name), `./${name}`);
}
