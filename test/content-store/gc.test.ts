// hangar gc: retention, cache age and size eviction, orphan blobs, usage, and the `hangar gc` command.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { ContentStore, unreferencedGraceMs } from "../../src/runner/content-store/index.js";
import { runHangar } from "../support/hangar-cli.js";
import { createClock, createFixture, dayMs } from "./store-fixture.js";

async function countBlobs(dataDir: string): Promise<number> {
  return (
    await readdir(path.join(dataDir, "blobs", "sha256"), { recursive: true, withFileTypes: true })
  ).filter((entry) => entry.isFile()).length;
}

describe("gc", () => {
  test("deletes artifacts past their retention and the blobs only they used", async () => {
    const fx = await createFixture();
    await fx.write({ "short/a.txt": "short-lived", "long/b.txt": "long-lived" });
    const clock = createClock();
    const store = new ContentStore({ dataDir: fx.dataDir, now: clock.now });
    await store.uploadArtifact({
      runId: "r",
      name: "short",
      paths: "short",
      ...(await fx.job(fx.workspace)),
      retentionDays: 1,
    });
    await store.uploadArtifact({ runId: "r", name: "long", paths: "long", ...(await fx.job(fx.workspace)) });

    clock.advance(dayMs - 1);
    assert.deepEqual((await store.gc()).artifacts, [], "one millisecond before expiry nothing goes");
    clock.advance(1);
    // Expired artifacts are gone for users at once, before gc runs.
    assert.deepEqual(
      (await store.listArtifacts("r")).map((a) => a.name),
      ["long"],
    );
    const report = await store.gc();
    assert.deepEqual(report.artifacts, [
      { runId: "r", name: "short", size: "short-lived".length, expiresAt: "2030-01-02T00:00:00.000Z" },
    ]);
    // The clock is far past the grace period, so the short artifact's content and file list go.
    assert.deepEqual(report.blobs, { count: 2, bytes: report.blobs.bytes });
    assert.ok(report.blobs.bytes > "short-lived".length);
    assert.equal(report.bytesFreed, report.blobs.bytes);
    const usage = await store.usage();
    assert.deepEqual(usage.artifacts, { count: 1, bytes: "long-lived".length });
    assert.equal(usage.blobs.count, 2);
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      name: "long",
      destination: out,
      files: (await fx.job()).files,
    });

    clock.advance(90 * dayMs);
    assert.equal((await store.gc()).artifacts.length, 1);
    assert.deepEqual(await store.usage(), {
      artifacts: { count: 0, bytes: 0 },
      caches: { count: 0, bytes: 0 },
      blobs: { count: 0, bytes: 0 },
    });
  });

  test("evicts caches unused for 7 days; a restore counts as use", async () => {
    const fx = await createFixture();
    await fx.write({ "c/v": "value" });
    const clock = createClock();
    const store = new ContentStore({ dataDir: fx.dataDir, now: clock.now });
    await store.saveCache({ key: "used", paths: "c", ...(await fx.job(fx.workspace)) });
    await store.saveCache({ key: "unused", paths: "c", ...(await fx.job(fx.workspace)) });
    clock.advance(6 * dayMs);
    await store.restoreCache({ key: "used", paths: "c", ...(await fx.job(fx.dir("restore"))) });
    clock.advance(2 * dayMs);
    const report = await store.gc();
    assert.deepEqual(
      report.caches.map((c) => [c.key, c.reason]),
      [["unused", "unused"]],
    );
    assert.deepEqual(report.blobs.count, 0, "the kept cache still references the shared content");
    assert.equal(
      (await store.restoreCache({ key: "unused", paths: "c", ...(await fx.job(fx.dir("x"))) })).hit,
      false,
    );
    assert.equal((await store.gc({ cacheMaxAgeDays: 1 })).caches.length, 1);
  });

  test("evicts least recently used caches until the total fits cacheMaxBytes", async () => {
    const fx = await createFixture();
    const clock = createClock();
    const store = new ContentStore({ dataDir: fx.dataDir, now: clock.now });
    for (const key of ["a", "b", "c", "d"]) {
      await fx.write({ [`${key}/data`]: key.repeat(1000) });
      await store.saveCache({ key, paths: key, ...(await fx.job(fx.workspace)) });
      clock.advance(60_000);
    }
    // Touch "a": now "b" is the least recently used.
    await store.restoreCache({ key: "a", paths: "a", ...(await fx.job(fx.dir("restore"))) });
    const report = await store.gc({ cacheMaxBytes: 2500 });
    assert.deepEqual(
      report.caches.map((c) => [c.key, c.reason]),
      [
        ["b", "over-size-limit"],
        ["c", "over-size-limit"],
      ],
    );
    assert.deepEqual((await store.usage()).caches, { count: 2, bytes: 2000 });
  });

  test("removes orphan blobs and temp files only after the grace period", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "kept" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.uploadArtifact({ runId: "r", name: "a", paths: "a.txt", ...(await fx.job(fx.workspace)) });
    // An orphan: the content of an upload whose manifest was never written (a crash, or a lost race).
    const orphan = "0".repeat(64);
    await mkdir(path.join(fx.dataDir, "blobs", "sha256", "00"), { recursive: true });
    await writeFile(path.join(fx.dataDir, "blobs", "sha256", "00", orphan), "orphaned bytes");
    await writeFile(path.join(fx.dataDir, "tmp", "123-partial"), "partial");
    const before = await countBlobs(fx.dataDir);

    const fresh = await store.gc();
    assert.deepEqual(fresh.blobs, { count: 0, bytes: 0 }, "a fresh blob may belong to an upload in progress");
    assert.equal(fresh.tempFiles.count, 0);

    const later = new ContentStore({
      dataDir: fx.dataDir,
      now: () => new Date(Date.now() + unreferencedGraceMs + 60_000),
    });
    const report = await later.gc();
    assert.deepEqual(report.blobs, { count: 1, bytes: "orphaned bytes".length });
    assert.deepEqual(report.tempFiles, { count: 1, bytes: "partial".length });
    assert.equal(report.bytesFreed, "orphaned bytes".length + "partial".length);
    assert.equal(await countBlobs(fx.dataDir), before - 1);
    await later.downloadArtifact({
      runId: "r",
      name: "a",
      destination: fx.dir("out"),
      files: (await fx.job()).files,
    });
  });

  test("`hangar gc` names each removal; --json prints the report", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "expired soon" });
    const twoDaysAgo = new ContentStore({ dataDir: fx.dataDir, now: () => new Date(Date.now() - 2 * dayMs) });
    const ageStore = async (suffix: string) => {
      await twoDaysAgo.uploadArtifact({
        runId: "r",
        name: `old-${suffix}`,
        paths: "a.txt",
        ...(await fx.job(fx.workspace)),
        retentionDays: 1,
      });
      await twoDaysAgo.saveCache({ key: `stale-${suffix}`, paths: "a.txt", ...(await fx.job(fx.workspace)) });
      // Age the cache past 7 days by rewriting its manifest's timestamp, as an old entry would read.
      const cacheDir = path.join(fx.dataDir, "caches");
      for (const file of await readdir(cacheDir)) {
        const manifest = JSON.parse(await readFile(path.join(cacheDir, file), "utf8")) as {
          lastUsedAt: string;
        };
        manifest.lastUsedAt = new Date(Date.now() - 30 * dayMs).toISOString();
        await writeFile(path.join(cacheDir, file), JSON.stringify(manifest));
      }
    };

    await ageStore("1");
    const table = await runGc(["--data-dir", fx.dataDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^removed artifact r\/old-1 \(12 B, expired .+\)$/m);
    assert.match(table.stdout, /^removed cache stale-1 \(12 B, unused since .+\)$/m);
    assert.match(table.stdout, /^Removed 1 artifact\(s\), 1 cache\(s\)/m);

    await ageStore("2");
    const json = await runGc(["--data-dir", fx.dataDir, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as {
      dataDir: string;
      artifacts: { name: string }[];
      caches: { key: string }[];
    };
    assert.equal(report.dataDir, fx.dataDir);
    assert.deepEqual(
      report.artifacts.map((a) => a.name),
      ["old-2"],
    );
    assert.deepEqual(
      report.caches.map((c) => c.key),
      ["stale-2"],
    );

    assert.equal((await runGc(["--data-dir", fx.dataDir, "extra"])).code, 2);
  });
});

/** `hangar gc` as a user runs it. */
function runGc(argv: string[]) {
  return runHangar(["gc", ...argv]);
}
