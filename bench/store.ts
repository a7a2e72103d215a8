// Store benchmark (JSON on stdout): job claim throughput and latency, 4 claimer processes over 2,000 jobs, per dialect.
// Run: node --import ./scripts/register.mjs bench/store.ts
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { claimJob, insertRepository, insertRun, openStore, type Dialect } from "../src/store/index.js";
import { startPostgres } from "../test/support/postgres.js";

const CLAIMERS = 4;
const JOBS = 2_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface StoreOptions {
  url?: string;
  dataDir: string;
}

/** Child mode: open a connection, say "ready", wait for "go", claim until the queue is empty, print latencies. */
async function claimAll(options: StoreOptions): Promise<void> {
  const store = await openStore(options);
  process.stdout.write("ready\n");
  await once(process.stdin, "data");
  const latencies: number[] = [];
  for (;;) {
    const start = performance.now();
    const job = await claimJob(store, {
      runnerId: `bench-${process.pid}`,
      labels: ["linux"],
      leaseMs: 60_000,
    });
    if (!job) break;
    latencies.push(performance.now() - start);
  }
  await store.close();
  process.stdout.write(JSON.stringify(latencies));
}

async function fillQueue(options: StoreOptions): Promise<void> {
  const store = await openStore(options);
  const repository = await insertRepository(store, {
    name: "bench/store",
    gitUrl: "https://example.test/bench.git",
  });
  for (let i = 0; i < JOBS; i += 500) {
    await insertRun(store, {
      repositoryId: repository.id,
      workflowFile: "bench.yml",
      workflowName: "bench",
      event: "push",
      sha: "0".repeat(40),
      ref: "refs/heads/main",
      actor: "bench",
      payload: {},
      jobs: Array.from({ length: 500 }, (_, j) => ({
        key: `job ${i + j}`,
        jobId: "job",
        name: "job",
        runsOn: ["linux"],
      })),
    });
  }
  await store.close();
}

function startClaimer(options: StoreOptions): {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  done: Promise<number[]>;
} {
  const child = spawn(process.execPath, [
    "--import",
    path.join(root, "scripts/register.mjs"),
    fileURLToPath(import.meta.url),
    "claim",
    JSON.stringify(options),
  ]);
  let stdout = "";
  let stderr = "";
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = once(child, "close").then(([code]) => {
    if (code !== 0) throw new Error(`claimer exited with ${String(code)}: ${stderr}`);
    return JSON.parse(stdout.slice("ready\n".length)) as number[];
  });
  // A claimer that dies before "ready" must not hang the bench.
  done.catch(() => markReady());
  return { child, ready, done };
}

function percentile(sorted: number[], q: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000) / 1000;
}

async function benchClaims(options: StoreOptions) {
  await fillQueue(options);
  const claimers = Array.from({ length: CLAIMERS }, () => startClaimer(options));
  await Promise.all(claimers.map((claimer) => claimer.ready));
  const start = performance.now();
  for (const { child } of claimers) child.stdin.end("go\n");
  const latencies = (await Promise.all(claimers.map((claimer) => claimer.done))).flat();
  const elapsedMs = performance.now() - start;
  if (latencies.length !== JOBS) throw new Error(`claimed ${latencies.length} of ${JOBS} jobs`);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    jobsPerSecond: Math.round((JOBS / elapsedMs) * 1000),
    claimP50Ms: percentile(sorted, 0.5),
    claimP95Ms: percentile(sorted, 0.95),
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === "claim") return claimAll(JSON.parse(process.argv[3]!) as StoreOptions);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "hangar-bench-store-"));
  const server = await startPostgres(async () => {});
  try {
    const results: Partial<Record<Dialect, unknown>> = {};
    results.sqlite = await benchClaims({ dataDir });
    results.postgres = await benchClaims({ url: await server.cloneTemplate(), dataDir });
    process.stdout.write(`${JSON.stringify({ claimers: CLAIMERS, jobs: JOBS, claim: results }, null, 2)}\n`);
  } finally {
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
