// A cached actions/setup-node step (node-version 22, already in the tool cache) against the floor of the same job with
// its one step skipped, and a `run: true` step for scale, each timed as a whole one-job run in the same process
// (npm run bench:setup-node). JSON on stdout.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadWorkflow, type WorkflowModel } from "../src/workflow/index.js";
import {
  HostExecutor,
  nodeSourcesFor,
  readToolSourceSettings,
  setUpNode,
  ToolCache,
  toolCacheDir,
} from "../src/runner/index.js";
import { runWorkflow } from "../src/engine/index.js";
import { benchRunSettings } from "./bench-run.js";
import { time } from "./summarize.js";

const runs = Number(process.env["BENCH_RUNS"] ?? 60);
/** Kept across bench runs so that Node is downloaded once per machine, not once per bench. */
const dataDir = path.join(os.tmpdir(), "hangar-bench-setup-node");

async function load(step: string): Promise<WorkflowModel> {
  const content = `on: push\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps:\n${step}\n`;
  const result = await loadWorkflow({ path: "bench.yml", content });
  if (!result.workflow) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.workflow;
}

const cache = new ToolCache(toolCacheDir(dataDir));
await setUpNode(
  { spec: "22", arch: os.arch(), checkLatest: false },
  cache,
  nodeSourcesFor(readToolSourceSettings(process.env)),
);

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-"));
const workspace = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-ws-"));
const executor = new HostExecutor({ baseDir: base });
try {
  const runOnce = (workflow: WorkflowModel) => async () => {
    const result = await runWorkflow(workflow, {
      executor,
      workspace,
      dataDir,
      ...benchRunSettings(),
      baseEnv: { PATH: process.env["PATH"] ?? "" },
    }).result;
    if (result.conclusion !== "success") throw new Error(`bench run failed: ${JSON.stringify(result.jobs)}`);
  };
  // The floor is the same job with a step that is skipped: job set-up and tear-down, nothing run.
  const floor = await load("      - if: ${{ false }}\n        run: true");
  const runTrue = await load("      - run: true");
  const setupNode = await load(
    "      - uses: actions/setup-node@v4\n        with:\n          node-version: 22",
  );
  // Warm both paths first (module loading, the file agent's first copy).
  for (const workflow of [floor, runTrue, setupNode]) await runOnce(workflow)();
  const floorRun = await time(runs, runOnce(floor));
  const runTrueRun = await time(runs, runOnce(runTrue));
  const setupNodeRun = await time(runs, runOnce(setupNode));
  process.stdout.write(
    JSON.stringify(
      {
        benchmark: "setup-node (cached, node-version 22) against a job whose one step is skipped",
        floorRun,
        runTrueRun,
        setupNodeRun,
        setupNodeStepP50Ms: Math.round((setupNodeRun.p50Ms - floorRun.p50Ms) * 100) / 100,
        setupNodeStepP95Ms: Math.round((setupNodeRun.p95Ms - floorRun.p95Ms) * 100) / 100,
        targetStepP50Ms: 50,
      },
      null,
      2,
    ) + "\n",
  );
} finally {
  await rm(base, { recursive: true, force: true });
  await rm(workspace, { recursive: true, force: true });
}
