// Executor benchmarks (npm run bench:executors): for host, sandbox, microvm from the warm pool, microvm cold (each
// job's VM restored from the template snapshot when asked for) and microvm boot (each job's VM booted, no snapshot),
// the job start latency (job started by the engine, i.e. claimed → the first step's first output line) and a 3-step
// job end to end; for the pool, its refill time and the template snapshot's size and save time. JSON on stdout with
// p50/p95 over BENCH_JOBS jobs (default 50). BENCH_EXECUTORS=host,sandbox,microvm-pool,microvm-cold,microvm-boot picks.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadWorkflow, type WorkflowModel } from "../src/workflow/index.js";
import { createSandboxExecutor, HostExecutor, MicroVmExecutor, type Executor } from "../src/runner/index.js";
import { runWorkflow } from "../src/engine/index.js";
import { testGuestImage } from "../test/support/guest-image.js";
import { summarize, type Summary } from "./summarize.js";
import { benchRunSettings } from "./bench-run.js";

const threeSteps = `on: push
jobs:
  bench:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
      - run: echo two
      - run: echo three
`;

async function load(content: string): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "bench.yml", content });
  if (!result.workflow) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.workflow;
}

interface JobTiming {
  startMs: number;
  endToEndMs: number;
}

/** One 3-step job: from job:started to the first stdout line of its first step, and the whole run. */
async function timeJob(workflow: WorkflowModel, executor: Executor, dataDir: string): Promise<JobTiming> {
  const began = performance.now();
  let startedAt: number | undefined;
  let firstOutputAt: number | undefined;
  const handle = runWorkflow(workflow, {
    executor,
    dataDir,
    ...benchRunSettings(),
    baseEnv: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  handle.on("job:started", () => (startedAt ??= performance.now()));
  handle.on("log:line", ({ line }) => {
    if (line.stream === "stdout" && firstOutputAt === undefined) firstOutputAt = performance.now();
  });
  const result = await handle.result;
  if (result.conclusion !== "success" || startedAt === undefined || firstOutputAt === undefined) {
    throw new Error(`bench job failed on ${executor.name}: ${JSON.stringify(result.jobs)}`);
  }
  return { startMs: firstOutputAt - startedAt, endToEndMs: performance.now() - began };
}

async function measure(
  executor: Executor,
  jobs: number,
  dataDir: string,
  beforeEach: () => Promise<void> = async () => undefined,
): Promise<{ jobStart: Summary; threeStepJob: Summary }> {
  const workflow = await load(threeSteps);
  await timeJob(workflow, executor, dataDir); // warm-up: caches, page cache, first pool take
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < jobs; i++) {
    await beforeEach();
    const timing = await timeJob(workflow, executor, dataDir);
    starts.push(timing.startMs);
    ends.push(timing.endToEndMs);
  }
  return { jobStart: summarize(starts), threeStepJob: summarize(ends) };
}

const jobs = Number(process.env["BENCH_JOBS"] ?? "50");
const only = process.env["BENCH_EXECUTORS"]?.split(",");
const wants = (name: string) => !only || only.includes(name);
const base = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-executors-"));
// Sandboxed jobs run as unprivileged uids that must pass through to their own directories.
await chmod(base, 0o711);
const report: Record<string, unknown> = {
  machine: {
    node: process.version,
    cpus: os.availableParallelism(),
    platform: `${os.platform()} ${os.release()}`,
  },
  jobs,
};
try {
  if (wants("host"))
    report["host"] = await measure(new HostExecutor({ baseDir: path.join(base, "host") }), jobs, base);
  if (wants("sandbox")) {
    const sandbox = await createSandboxExecutor({ baseDir: path.join(base, "sandbox") });
    report["sandbox"] = { cgroupVersion: sandbox.cgroupVersion, ...(await measure(sandbox, jobs, base)) };
  }
  if (wants("microvm-pool") || wants("microvm-cold") || wants("microvm-boot")) {
    const image = await testGuestImage();
    if (wants("microvm-pool")) {
      const pooled = new MicroVmExecutor({
        baseDir: path.join(base, "vm-pool"),
        imageDir: image.dir,
        poolSize: 2,
      });
      try {
        const refills: number[] = [];
        let takenAt: number | undefined;
        const measured = await measure(pooled, jobs, base, async () => {
          // Each job starts from a full pool; the refill is timed from the previous take to full again.
          await pooled.whenPoolFull();
          if (takenAt !== undefined) refills.push(performance.now() - takenAt);
          takenAt = performance.now();
        });
        report["microvmPool"] = {
          accel: pooled.accelerator,
          poolSize: 2,
          ...measured,
          poolRefill: summarize(refills),
          snapshot: pooled.snapshot && { bytes: pooled.snapshot.bytes, saveMs: pooled.snapshot.saveMs },
        };
      } finally {
        await pooled.close();
      }
    }
    const coldJobs = Number(process.env["BENCH_COLD_JOBS"] ?? String(jobs));
    for (const [name, key, snapshot] of [
      ["microvm-cold", "microvmCold", true],
      ["microvm-boot", "microvmBoot", false],
    ] as const) {
      if (!wants(name)) continue;
      const cold = new MicroVmExecutor({
        baseDir: path.join(base, name),
        imageDir: image.dir,
        poolSize: 0,
        snapshot,
      });
      try {
        const measured = await measure(cold, coldJobs, base);
        report[key] = { accel: cold.accelerator, snapshot: cold.snapshot !== undefined, ...measured };
      } finally {
        await cold.close();
      }
    }
  }
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} finally {
  await rm(base, { recursive: true, force: true });
}
