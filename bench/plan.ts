// How planning scales (issue 14): a `needs` chain of 10 to 2,000 jobs and a 256-leg matrix, each planned (parsed,
// validated, staged by needs, the matrix expanded) against the floor of parsing the same YAML alone; and what the
// engine spends per job today, driving a chain on the dry-run executor (job directories, no step process).
// npm run bench:plan; JSON on stdout.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { runWorkflow } from "../src/engine/index.js";
import { DryRunExecutor, HostExecutor } from "../src/runner/index.js";
import { expandMatrix, loadWorkflow, stageJobs, type WorkflowModel } from "../src/workflow/index.js";
import { benchRunSettings } from "./bench-run.js";
import { time } from "./summarize.js";

/** `jobs` jobs, each needing the one before it. */
function needsChain(jobs: number): string {
  const body = Array.from(
    { length: jobs },
    (_, i) =>
      `  j${i}:\n    runs-on: ubuntu-latest\n${i > 0 ? `    needs: j${i - 1}\n` : ""}    steps:\n      - run: true\n`,
  );
  return `on: push\njobs:\n${body.join("")}`;
}

/** One job over a 16 x 16 matrix, and a job needing all 256 legs. */
function wideMatrix(): string {
  const values = Array.from({ length: 16 }, (_, i) => i).join(", ");
  return `on: push
jobs:
  leg:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        a: [${values}]
        b: [${values}]
    steps:
      - run: true
  after:
    needs: leg
    runs-on: ubuntu-latest
    steps:
      - run: true
`;
}

async function load(content: string): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "bench.yml", content });
  if (!result.workflow) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.workflow;
}

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-plan-"));
const workspace = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-plan-ws-"));
const executor = new DryRunExecutor(new HostExecutor({ baseDir: base }));

/** Parse and validate, stage the jobs by `needs`, expand the matrix (`matrix`: what the strategy evaluates to). */
async function plan(content: string, matrix?: Record<string, number[]>): Promise<void> {
  stageJobs((await load(content)).jobs);
  if (matrix && expandMatrix(matrix).combinations.length !== 256)
    throw new Error("the matrix did not expand");
}

async function measurePlan(content: string, runs: number, jobs: number, matrix?: Record<string, number[]>) {
  const yamlParseFloor = await time(runs, async () => void parseYaml(content));
  const planned = await time(runs, () => plan(content, matrix));
  return {
    jobs,
    yamlParseFloor,
    plan: planned,
    ratioP50: Math.round((planned.p50Ms / yamlParseFloor.p50Ms) * 10) / 10,
  };
}

/** A chain run through the engine on the dry-run executor: what running costs per job before any step runs. */
async function measureEngine(jobs: number, runs: number) {
  const workflow = await load(needsChain(jobs));
  const engine = await time(runs, async () => {
    const result = await runWorkflow(workflow, {
      executor,
      workspace,
      dataDir: base,
      ...benchRunSettings(),
      baseEnv: { PATH: process.env["PATH"] ?? "" },
    }).result;
    if (result.conclusion !== "success" || result.jobs.length !== jobs)
      throw new Error(`plan bench run: ${result.conclusion}, ${result.jobs.length} jobs`);
  });
  return { jobs, engine, msPerJobP50: Math.round((engine.p50Ms / jobs) * 10) / 10 };
}

try {
  const needsChainPlan = [];
  for (const [jobs, runs] of [
    [10, 40],
    [100, 40],
    [1000, 20],
    [2000, 20],
  ] as const) {
    needsChainPlan.push(await measurePlan(needsChain(jobs), runs, jobs));
  }
  const sixteen = Array.from({ length: 16 }, (_, i) => i);
  const report = {
    machine: {
      node: process.version,
      cpus: os.availableParallelism(),
      platform: `${os.platform()}-${os.arch()}`,
    },
    needsChainPlan,
    matrix256Plan: await measurePlan(wideMatrix(), 20, 257, { a: sixteen, b: sixteen }),
    engineDryRun: [await measureEngine(10, 10), await measureEngine(100, 3)],
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} finally {
  await rm(base, { recursive: true, force: true });
  await rm(workspace, { recursive: true, force: true });
}
