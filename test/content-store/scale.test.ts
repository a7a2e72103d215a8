// The store at scale: 10,000 files, a 300 MB file in bounded memory, and parallel jobs uploading at once.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { describe, test } from "node:test";
import { ContentStore, ContentStoreError } from "../../src/runner/content-store/index.js";
import { createFixture, readTree } from "./store-fixture.js";

const mb = 1024 * 1024;

async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Streams `size` bytes of varied content to a file without holding them in memory. */
async function writeLargeFile(file: string, size: number): Promise<void> {
  const chunk = Buffer.alloc(mb);
  let written = 0;
  await pipeline(async function* () {
    while (written < size) {
      chunk.writeUInt32LE(written / mb, 0);
      written += chunk.length;
      yield chunk;
    }
  }, createWriteStream(file));
}

/** Runs the task while sampling RSS; returns the peak growth over the RSS before it started. */
async function measureRssGrowth(task: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    await task();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}

describe("content store at scale", () => {
  test("10,000 small files upload and download intact", async () => {
    const fx = await createFixture();
    for (let dir = 0; dir < 100; dir++) {
      const directory = path.join(fx.workspace, "many", `d${dir}`);
      await mkdir(directory, { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          writeFile(path.join(directory, `f${i}.txt`), `file ${dir}/${i}\n`),
        ),
      );
    }
    const store = new ContentStore({ dataDir: fx.dataDir });
    const result = await store.uploadArtifact({
      runId: "r",
      name: "many",
      paths: "many",
      ...(await fx.job(fx.workspace)),
    });
    assert.equal(result.fileCount, 10_000);
    assert.deepEqual(result.warnings, [], "upload-artifact warns only over 10,000 files");
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      name: "many",
      destination: out,
      files: (await fx.job()).files,
    });
    const tree = await readTree(out);
    assert.equal(Object.keys(tree).length, 10_000);
    assert.equal(tree["d42/f7.txt"], "file 42/7\n");
    assert.equal(tree["d99/f99.txt"], "file 99/99\n");
  });

  test("a 300 MB file streams through: RSS grows by less than 100 MB on upload and download", async () => {
    const fx = await createFixture();
    const source = path.join(fx.workspace, "big", "blob.bin");
    await mkdir(path.dirname(source), { recursive: true });
    await writeLargeFile(source, 300 * mb);
    const store = new ContentStore({ dataDir: fx.dataDir });
    const job = await fx.job();

    const uploadGrowth = await measureRssGrowth(() =>
      store.uploadArtifact({ runId: "r", name: "big", paths: "big", ...job }),
    );
    assert.ok(uploadGrowth < 100 * mb, `upload grew RSS by ${Math.round(uploadGrowth / mb)} MB`);
    const [info] = await store.listArtifacts("r");
    assert.equal(info?.size, 300 * mb);

    const out = fx.dir("out");
    const downloadGrowth = await measureRssGrowth(() =>
      store.downloadArtifact({ runId: "r", name: "big", destination: out, files: job.files }),
    );
    assert.ok(downloadGrowth < 100 * mb, `download grew RSS by ${Math.round(downloadGrowth / mb)} MB`);
    assert.equal(await hashFile(path.join(out, "blob.bin")), await hashFile(source));
  });

  test("parallel jobs uploading overlapping content do not corrupt each other", async () => {
    const fx = await createFixture();
    const jobs = 8;
    const files: Record<string, string> = {};
    for (let job = 0; job < jobs; job++) {
      files[`job${job}/shared.txt`] = "shared by every job\n".repeat(1000);
      files[`job${job}/half.txt`] = `half ${job % 2}\n`.repeat(5000);
      files[`job${job}/own.txt`] = `only job ${job}\n`;
    }
    await fx.write(files);
    const jobFiles = await fx.job();
    // One store object per job, as separate jobs (or processes) sharing the data directory would have.
    const uploads = Array.from({ length: jobs }, (_, job) =>
      new ContentStore({ dataDir: fx.dataDir }).uploadArtifact({
        runId: "r",
        name: `job${job}`,
        paths: `job${job}/`,
        ...jobFiles,
      }),
    );
    // Two jobs racing for one name: exactly one wins.
    const racing = Array.from({ length: 2 }, () =>
      new ContentStore({ dataDir: fx.dataDir }).uploadArtifact({
        runId: "r",
        name: "contested",
        paths: "job0/",
        ...jobFiles,
      }),
    );
    const [settled, raced] = await Promise.all([Promise.allSettled(uploads), Promise.allSettled(racing)]);
    assert.ok(settled.every((outcome) => outcome.status === "fulfilled"));
    assert.equal(raced.filter((outcome) => outcome.status === "fulfilled").length, 1);
    const lost = raced.find((outcome) => outcome.status === "rejected");
    assert.ok(lost?.status === "rejected" && lost.reason instanceof ContentStoreError);
    assert.equal(lost.reason.code, "STORE_ARTIFACT_EXISTS");

    const store = new ContentStore({ dataDir: fx.dataDir });
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      pattern: "job*",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.deepEqual(await readTree(out), files);
    // Identical files share one blob: 1 shared + 2 halves + 8 own, plus one file list per job
    // ("contested" lists the same files as job0, so it shares job0's list).
    const usage = await store.usage();
    assert.equal(usage.blobs.count, 1 + 2 + jobs + jobs);
    assert.deepEqual(await readdir(path.join(fx.dataDir, "tmp")), [], "no temp file is left behind");
    assert.equal(await readFile(path.join(out, "job3/own.txt"), "utf8"), "only job 3\n");
  });
});
