// Benchmarks for the artifact and cache store: upload/download throughput and cache restore latency (JSON on stdout).
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ContentStore } from "../src/runner/content-store/index.js";
import { createSandboxExecutor, HostExecutor, JobFileAgent, type Executor } from "../src/runner/index.js";

const mb = 1024 * 1024;
const artifactFiles = 1_000;
const artifactBytes = 200 * mb;
const throughputRuns = 5;
const latencyRuns = 50;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function timeMs(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

/** Random bytes, so no two files share a blob and dedupe cannot flatter the figures. */
async function writeFiles(directory: string, count: number, totalBytes: number): Promise<void> {
  const size = Math.floor(totalBytes / count);
  for (let i = 0; i < count; i++) {
    const file = path.join(directory, `d${i % 20}`, `f${i}.bin`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(size));
  }
}

/** A job whose workspace is `workspace`, on the host or in a sandbox: the store reaches its files through its agent. */
async function prepareJob(executor: Executor, workspace: string) {
  const dirs = await executor.prepare({ runId: "bench", jobKey: "files", workspace });
  const files = new JobFileAgent(executor, dirs).access({ env: { HOME: dirs.temp } });
  return {
    workspace: dirs.workspace,
    files,
    dirs: { workspace: dirs.workspace, temp: dirs.temp, toolCache: dirs.toolCache },
    cleanup: () => executor.cleanup(dirs),
  };
}

async function executorsToMeasure(root: string): Promise<Array<[string, Executor]>> {
  const executors: Array<[string, Executor]> = [
    ["host", new HostExecutor({ baseDir: path.join(root, "host") })],
  ];
  const sandbox = await createSandboxExecutor({ baseDir: path.join(root, "sandbox") }).catch(() => undefined);
  if (sandbox) executors.push(["sandbox", sandbox]);
  return executors;
}

/**
 * Upload and download of 1,000 files totalling 200 MB (MB/s, median of 5, a fresh store each run), and actions/cache
 * restore latency for an exact hit (100 files) against a miss with restore-keys, on each executor: the files are read
 * and written by the file agent inside the job. The floor is a plain copy of the same tree in the same run.
 */
export async function benchArtifacts(): Promise<object> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-artifacts-"));
  try {
    const workspace = path.join(root, "workspace");
    await writeFiles(path.join(workspace, "dist"), artifactFiles, artifactBytes);
    const copyMBps: number[] = [];
    for (let run = 0; run < throughputRuns; run++) {
      const copy = path.join(root, `copy-${run}`);
      copyMBps.push(
        artifactBytes / mb / ((await timeMs(() => cp(workspace, copy, { recursive: true }))) / 1000),
      );
      await rm(copy, { recursive: true, force: true });
    }
    const cacheWorkspace = path.join(root, "cache-workspace");
    await writeFiles(path.join(cacheWorkspace, "deps"), 100, 100 * 10 * 1024);

    const byExecutor: Record<string, object> = {};
    for (const [name, executor] of await executorsToMeasure(root)) {
      const job = await prepareJob(executor, workspace);
      const uploadMBps: number[] = [];
      const downloadMBps: number[] = [];
      for (let run = 0; run < throughputRuns; run++) {
        const dataDir = path.join(root, `data-${run}`);
        const store = new ContentStore({ dataDir });
        const uploadMs = await timeMs(() =>
          store.uploadArtifact({ runId: "bench", name: "dist", paths: "dist", ...job }),
        );
        const destination = path.join(job.workspace, `out-${run}`);
        const downloadMs = await timeMs(() =>
          store.downloadArtifact({ runId: "bench", name: "dist", destination, files: job.files }),
        );
        uploadMBps.push(artifactBytes / mb / (uploadMs / 1000));
        downloadMBps.push(artifactBytes / mb / (downloadMs / 1000));
        await rm(dataDir, { recursive: true, force: true });
        await rm(destination, { recursive: true, force: true });
      }
      await job.cleanup();

      const cacheJob = await prepareJob(executor, cacheWorkspace);
      const store = new ContentStore({ dataDir: path.join(root, `cache-data-${name}`) });
      for (let i = 0; i < 20; i++) {
        await store.saveCache({ key: `other-${i}`, paths: `deps/d${i % 20}`, ...cacheJob });
      }
      await store.saveCache({ key: "deps-hit", paths: "deps", ...cacheJob });
      await cacheJob.cleanup();
      const hitMs: number[] = [];
      const missMs: number[] = [];
      for (let run = 0; run < latencyRuns; run++) {
        const target = await prepareJob(executor, path.join(root, "restore", name, String(run)));
        hitMs.push(await timeMs(() => store.restoreCache({ key: "deps-hit", paths: "deps", ...target })));
        missMs.push(
          await timeMs(() =>
            store.restoreCache({
              key: "deps-miss",
              restoreKeys: ["nothing-", "none-"],
              paths: "deps",
              ...target,
            }),
          ),
        );
        await target.cleanup();
      }
      byExecutor[name] = {
        artifacts: {
          uploadMBps: round(median(uploadMBps)),
          downloadMBps: round(median(downloadMBps)),
          uploadVsCopy: round(median(uploadMBps) / median(copyMBps)),
        },
        cacheRestore: {
          hit: { p50Ms: round(percentile(hitMs, 0.5)), p95Ms: round(percentile(hitMs, 0.95)) },
          miss: { p50Ms: round(percentile(missMs, 0.5)), p95Ms: round(percentile(missMs, 0.95)) },
        },
      };
    }
    return {
      artifactFiles,
      artifactMB: artifactBytes / mb,
      throughputRuns,
      latencyRuns,
      cacheHitFiles: 100,
      otherCacheEntries: 20,
      floor: { copyMBps: round(median(copyMBps)) },
      ...byExecutor,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(JSON.stringify(await benchArtifacts(), null, 2) + "\n");
}
