// Benchmarks for the artifact and cache store: upload/download throughput and cache restore latency (JSON on stdout).
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ContentStore } from "../src/runner/content-store/index.js";

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

/**
 * Upload and download of 1,000 files totalling 200 MB (MB/s, median of 5, a fresh store each run),
 * and actions/cache restore latency for an exact hit (100 files) against a miss with restore-keys.
 */
export async function benchArtifacts(): Promise<object> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-artifacts-"));
  try {
    const workspace = path.join(root, "workspace");
    await writeFiles(path.join(workspace, "dist"), artifactFiles, artifactBytes);

    const uploadMBps: number[] = [];
    const downloadMBps: number[] = [];
    for (let run = 0; run < throughputRuns; run++) {
      const dataDir = path.join(root, `data-${run}`);
      const store = new ContentStore({ dataDir });
      const uploadMs = await timeMs(() =>
        store.uploadArtifact({ runId: "bench", name: "dist", paths: "dist", workspace }),
      );
      const destination = path.join(root, `out-${run}`);
      const downloadMs = await timeMs(() =>
        store.downloadArtifact({ runId: "bench", name: "dist", destination }),
      );
      uploadMBps.push(artifactBytes / mb / (uploadMs / 1000));
      downloadMBps.push(artifactBytes / mb / (downloadMs / 1000));
      await rm(dataDir, { recursive: true, force: true });
      await rm(destination, { recursive: true, force: true });
    }

    const cacheWorkspace = path.join(root, "cache-workspace");
    await writeFiles(path.join(cacheWorkspace, "deps"), 100, 100 * 10 * 1024);
    const store = new ContentStore({ dataDir: path.join(root, "cache-data") });
    for (let i = 0; i < 20; i++) {
      await store.saveCache({ key: `other-${i}`, paths: `deps/d${i % 20}`, workspace: cacheWorkspace });
    }
    await store.saveCache({ key: "deps-hit", paths: "deps", workspace: cacheWorkspace });
    const hitMs: number[] = [];
    const missMs: number[] = [];
    for (let run = 0; run < latencyRuns; run++) {
      const target = path.join(root, "restore", String(run));
      hitMs.push(
        await timeMs(() => store.restoreCache({ key: "deps-hit", paths: "deps", workspace: target })),
      );
      missMs.push(
        await timeMs(() =>
          store.restoreCache({
            key: "deps-miss",
            restoreKeys: ["nothing-", "none-"],
            paths: "deps",
            workspace: target,
          }),
        ),
      );
      await rm(target, { recursive: true, force: true });
    }

    return {
      artifacts: {
        files: artifactFiles,
        totalMB: artifactBytes / mb,
        runs: throughputRuns,
        uploadMBps: round(median(uploadMBps)),
        downloadMBps: round(median(downloadMBps)),
      },
      cacheRestore: {
        runs: latencyRuns,
        hitFiles: 100,
        otherEntries: 20,
        hit: { p50Ms: round(percentile(hitMs, 0.5)), p95Ms: round(percentile(hitMs, 0.95)) },
        miss: { p50Ms: round(percentile(missMs, 0.5)), p95Ms: round(percentile(missMs, 0.95)) },
      },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(JSON.stringify(await benchArtifacts(), null, 2) + "\n");
}
