// actions/cache semantics (key matching, immutability, versions) against a real store in temp directories.
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { ContentStore, ContentStoreError } from "../../src/runner/content-store/index.js";
import { createClock, createFixture, readTree } from "./store-fixture.js";

describe("restoreCache and saveCache", () => {
  test("exact key: a hit that restores files to their paths under another workspace", async () => {
    const fx = await createFixture();
    await fx.write({ "node_modules/left-pad/index.js": "pad", "node_modules/.bin/tool": "#!/bin/sh\n" });
    await chmod(path.join(fx.workspace, "node_modules/.bin/tool"), 0o755);
    const store = new ContentStore({ dataDir: fx.dataDir });
    const saved = await store.saveCache({
      key: "npm-abc",
      paths: "node_modules",
      ...(await fx.job(fx.workspace)),
    });
    assert.deepEqual(saved, { saved: true, size: "pad".length + "#!/bin/sh\n".length });

    const next = fx.dir("next-job");
    const restored = await store.restoreCache({
      key: "npm-abc",
      paths: "node_modules",
      ...(await fx.job(next)),
    });
    assert.deepEqual(restored, { hit: true, matchedKey: "npm-abc" });
    assert.deepEqual(await readTree(next), {
      "node_modules/.bin/tool": "#!/bin/sh\n",
      "node_modules/left-pad/index.js": "pad",
    });
    assert.equal((await stat(path.join(next, "node_modules/.bin/tool"))).mode & 0o777, 0o755);
  });

  test("restore-keys match by prefix, newest entry first, and report no exact hit", async () => {
    const fx = await createFixture();
    const clock = createClock();
    const store = new ContentStore({ dataDir: fx.dataDir, now: clock.now });
    for (const [key, content] of [
      ["deps-linux-old", "old"],
      ["deps-linux-new", "new"],
      ["deps-mac-newest", "mac"],
    ]) {
      await fx.write({ "cache/v.txt": content! });
      assert.equal(
        (await store.saveCache({ key: key!, paths: "cache", ...(await fx.job(fx.workspace)) })).saved,
        true,
      );
      clock.advance(60_000);
    }
    const target = fx.dir("restore");
    const restored = await store.restoreCache({
      key: "deps-linux-0123",
      restoreKeys: ["deps-linux-", "deps-"],
      paths: "cache",
      ...(await fx.job(target)),
    });
    assert.deepEqual(restored, { hit: false, matchedKey: "deps-linux-new" });
    assert.equal(await readFile(path.join(target, "cache/v.txt"), "utf8"), "new");

    // An exact restore-key beats a newer prefix match of the same restore-key.
    const exact = await store.restoreCache({
      key: "nope",
      restoreKeys: ["deps-linux-old"],
      paths: "cache",
      ...(await fx.job(fx.dir("exact"))),
    });
    assert.equal(exact.matchedKey, "deps-linux-old");

    // The primary key is itself tried as a prefix before any restore-key.
    const prefixOfKey = await store.restoreCache({
      key: "deps-mac",
      restoreKeys: ["deps-linux-"],
      paths: "cache",
      ...(await fx.job(fx.dir("prefix"))),
    });
    assert.deepEqual(prefixOfKey, { hit: false, matchedKey: "deps-mac-newest" });
  });

  test("a miss restores nothing; other paths are another cache version and miss too", async () => {
    const fx = await createFixture();
    await fx.write({ "a/file": "a" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.saveCache({ key: "k", paths: "a", ...(await fx.job(fx.workspace)) });
    const target = fx.dir("restore");
    assert.deepEqual(
      await store.restoreCache({ key: "other", restoreKeys: ["x-"], paths: "a", ...(await fx.job(target)) }),
      { hit: false },
    );
    assert.deepEqual(await store.restoreCache({ key: "k", paths: "b", ...(await fx.job(target)) }), {
      hit: false,
    });
    assert.deepEqual(await readdir(target), []);
  });

  test("caches are immutable: saving an existing key keeps the first content", async () => {
    const fx = await createFixture();
    await fx.write({ "c/v": "first" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    assert.equal(
      (await store.saveCache({ key: "k", paths: "c", ...(await fx.job(fx.workspace)) })).saved,
      true,
    );
    await fx.write({ "c/v": "second" });
    const again = await store.saveCache({ key: "k", paths: "c", ...(await fx.job(fx.workspace)) });
    assert.equal(again.saved, false);
    assert.match(again.message ?? "", /Unable to reserve cache with key k/);
    const target = fx.dir("restore");
    await store.restoreCache({ key: "k", paths: "c", ...(await fx.job(target)) });
    assert.equal(await readFile(path.join(target, "c/v"), "utf8"), "first");
  });

  test("saving paths that match nothing saves nothing, with actions/cache's message", async () => {
    const fx = await createFixture();
    const store = new ContentStore({ dataDir: fx.dataDir });
    const result = await store.saveCache({ key: "k", paths: "missing/**", ...(await fx.job(fx.workspace)) });
    assert.equal(result.saved, false);
    assert.match(result.message ?? "", /Path Validation Error/);
  });

  test("lookupOnly reports the match without writing files", async () => {
    const fx = await createFixture();
    await fx.write({ "c/v": "x" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.saveCache({ key: "k", paths: "c", ...(await fx.job(fx.workspace)) });
    const target = fx.dir("restore");
    assert.deepEqual(
      await store.restoreCache({ key: "k", paths: "c", ...(await fx.job(target)), lookupOnly: true }),
      {
        hit: true,
        matchedKey: "k",
      },
    );
    assert.deepEqual(await readdir(target), []);
  });

  test("~ paths restore under the home of the restoring job; a path outside the job's directories is not cached", async () => {
    const fx = await createFixture();
    const home = fx.dir("home");
    await mkdir(path.join(home, ".npm"), { recursive: true });
    await writeFile(path.join(home, ".npm", "pkg.tgz"), "tgz");
    const store = new ContentStore({ dataDir: fx.dataDir });
    // The file agent runs as the job, so `~` is the job's HOME: the environment the step passes.
    const jobWithHome = async (workspace: string, jobHome: string) => {
      const job = await fx.job(workspace);
      return { ...job, files: job.withEnv({ HOME: jobHome }) };
    };
    const saving = await jobWithHome(fx.workspace, home);
    assert.equal((await store.saveCache({ key: "k", paths: "~/.npm", ...saving })).saved, true);
    const newHome = fx.dir("home2");
    await store.restoreCache({ key: "k", paths: "~/.npm", ...(await jobWithHome(fx.dir("ws2"), newHome)) });
    assert.deepEqual(await readTree(newHome), { ".npm/pkg.tgz": "tgz" });

    // /etc is none of the job's directories (this test's own files are all below /tmp, which is one).
    const outside = await store.saveCache({ key: "k2", paths: "~/.npm\n/etc/passwd", ...saving });
    assert.equal(outside.saved, false);
    assert.match(outside.message ?? "", /\/etc\/passwd is outside the job's directories/);
  });

  test("key validation: length, commas and at most 10 keys fail with STORE_INVALID_CACHE_KEY", async () => {
    const fx = await createFixture();
    const store = new ContentStore({ dataDir: fx.dataDir });
    const base = { paths: "x", ...(await fx.job(fx.workspace)) };
    const invalid = (error: unknown) =>
      error instanceof ContentStoreError && error.code === "STORE_INVALID_CACHE_KEY";
    await assert.rejects(store.restoreCache({ ...base, key: "a".repeat(513) }), invalid);
    await assert.rejects(store.saveCache({ ...base, key: "a,b" }), invalid);
    await assert.rejects(
      store.restoreCache({ ...base, key: "k", restoreKeys: Array.from({ length: 10 }, (_, i) => `r${i}`) }),
      (error: unknown) => invalid(error) && /maximum of 10/.test((error as Error).message),
    );
    assert.deepEqual(await store.restoreCache({ ...base, key: "a".repeat(512) }), { hit: false });
  });
});
