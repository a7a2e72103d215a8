// Benchmarks for the engine (npm run bench): JSON on stdout with medians and p95 over many runs.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadWorkflow, stageJobs, type WorkflowModel } from "../src/workflow/index.js";
import { HostExecutor } from "../src/runner/index.js";
import { runWorkflow } from "../src/engine/index.js";
import { benchArtifacts } from "./artifacts.js";
import { time } from "./summarize.js";
import { benchRunSettings } from "./bench-run.js";

const execFileAsync = promisify(execFile);

/** A realistic 100-line workflow: triggers with filters, env, a matrix, needs, outputs and expressions. */
function hundredLineWorkflow(): string {
  const lines = [
    "name: Bench",
    "on:",
    "  push:",
    "    branches: [main, 'release/**']",
    "    paths-ignore: ['docs/**']",
    "  pull_request:",
    "    types: [opened, synchronize]",
    "env:",
    "  GLOBAL: ${{ github.sha }}",
    "jobs:",
  ];
  let job = 0;
  while (lines.length < 96) {
    lines.push(
      `  job${job}:`,
      "    runs-on: ubuntu-latest",
      ...(job > 0 ? [`    needs: job${job - 1}`] : []),
      "    strategy:",
      "      matrix:",
      "        node: [18, 20, 22]",
      "    outputs:",
      "      value: ${{ steps.one.outputs.value }}",
      "    steps:",
      "      - id: one",
      '        run: echo "value=${{ matrix.node }}" >> "$GITHUB_OUTPUT"',
      "      - if: ${{ success() && github.event_name == 'push' }}",
      "        run: echo ${{ format('{0}-{1}', env.GLOBAL, matrix.node) }}",
    );
    job++;
  }
  return lines.join("\n") + "\n";
}

function stepsWorkflow(steps: number): string {
  const body = Array.from({ length: steps }, () => "      - run: true").join("\n");
  return `on: push\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps:\n${body}\n`;
}

async function load(content: string): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "bench.yml", content });
  if (!result.workflow) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.workflow;
}

async function runOnce(workflow: WorkflowModel, executor: HostExecutor, workspace: string): Promise<void> {
  const handle = runWorkflow(workflow, {
    executor,
    workspace,
    dataDir: workspace,
    ...benchRunSettings(),
    baseEnv: { PATH: process.env["PATH"] ?? "" },
  });
  const result = await handle.result;
  if (result.conclusion !== "success") throw new Error(`bench run failed: ${JSON.stringify(result.jobs)}`);
}

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-"));
const executor = new HostExecutor({ baseDir: base });
const workspace = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-ws-"));
try {
  const parseSource = hundredLineWorkflow();
  const parsePlan = await time(200, async () => {
    const workflow = await load(parseSource);
    stageJobs(workflow.jobs);
  });

  const twentySteps = await load(stepsWorkflow(20));
  const engine20 = await time(20, () => runOnce(twentySteps, executor, workspace));
  const bash20 = await time(20, async () => {
    for (let i = 0; i < 20; i++)
      await execFileAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", "true"]);
  });

  const trivial = await load(stepsWorkflow(1));
  const endToEnd = await time(200, () => runOnce(trivial, executor, workspace));

  const report = {
    machine: {
      node: process.version,
      cpus: os.availableParallelism(),
      platform: `${os.platform()}-${os.arch()}`,
    },
    parsePlan100Lines: { lines: parseSource.split("\n").length - 1, ...parsePlan },
    twentyStepJob: {
      engine: engine20,
      bareBash: bash20,
      ratioP50: Math.round((engine20.p50Ms / bash20.p50Ms) * 100) / 100,
    },
    trivialWorkflowEndToEnd: endToEnd,
    artifactsAndCaches: await benchArtifacts(),
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} finally {
  await rm(base, { recursive: true, force: true });
  await rm(workspace, { recursive: true, force: true });
}
