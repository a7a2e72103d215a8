// upload-artifact / download-artifact v4 semantics against a real store in temp directories.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmod, mkdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { ContentStore, ContentStoreError } from "../../src/runner/content-store/index.js";
import { createFixture, readTree } from "./store-fixture.js";

function rejectsWithCode(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ContentStoreError, `expected ContentStoreError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

describe("uploadArtifact and downloadArtifact", () => {
  test("round trip with globs and exclusions keeps the structure below the search path", async () => {
    const fx = await createFixture();
    await fx.write({
      "dist/app.js": "app",
      "dist/lib/util.js": "util",
      "dist/lib/util.js.map": "map",
      "src/main.ts": "src",
    });
    const store = new ContentStore({ dataDir: fx.dataDir });
    const result = await store.uploadArtifact({
      runId: "run-1",
      name: "build",
      paths: "dist/**\n!dist/**/*.map",
      ...(await fx.job(fx.workspace)),
    });
    assert.equal(result.uploaded, true);
    assert.equal(result.fileCount, 2);
    assert.equal(result.size, "app".length + "util".length);
    assert.match(result.digest ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(result.warnings, []);

    const out = fx.dir("out");
    const downloaded = await store.downloadArtifact({
      runId: "run-1",
      name: "build",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.deepEqual(
      downloaded.artifacts.map((a) => [a.name, a.path, a.fileCount]),
      [["build", out, 2]],
    );
    assert.deepEqual(await readTree(out), { "app.js": "app", "lib/util.js": "util" });
  });

  test("several search paths: their least common ancestor is the artifact root", async () => {
    const fx = await createFixture();
    await fx.write({ "packages/a/dist/a.js": "a", "packages/b/out/b.js": "b", "packages/c/c.txt": "c" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.uploadArtifact({
      runId: "run-1",
      name: "multi",
      paths: "packages/a/dist/\npackages/b/out/*.js",
      ...(await fx.job(fx.workspace)),
    });
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "run-1",
      name: "multi",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.deepEqual(await readTree(out), { "a/dist/a.js": "a", "b/out/b.js": "b" });
  });

  test("a single file named without wildcards is stored without its directories", async () => {
    const fx = await createFixture();
    await fx.write({ "reports/deep/junit.xml": "<xml/>" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.uploadArtifact({
      runId: "r",
      name: "junit",
      paths: "reports/deep/junit.xml",
      ...(await fx.job(fx.workspace)),
    });
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      name: "junit",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.deepEqual(await readTree(out), { "junit.xml": "<xml/>" });
  });

  test("hidden files are excluded unless includeHiddenFiles", async () => {
    const fx = await createFixture();
    await fx.write({ "out/visible.txt": "v", "out/.env": "secret", "out/.git/config": "cfg" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    const without = await store.uploadArtifact({
      runId: "r",
      name: "plain",
      paths: "out",
      ...(await fx.job(fx.workspace)),
    });
    const withHidden = await store.uploadArtifact({
      runId: "r",
      name: "hidden",
      paths: "out",
      ...(await fx.job(fx.workspace)),
      includeHiddenFiles: true,
    });
    assert.equal(without.fileCount, 1);
    assert.equal(withHidden.fileCount, 3);
  });

  test("the executable bit survives, and a symlink uploads its target's content", async () => {
    const fx = await createFixture();
    await fx.write({ "bin/tool": "#!/bin/sh\necho hi\n", "bin/data.txt": "target" });
    await chmod(path.join(fx.workspace, "bin/tool"), 0o755);
    await symlink("data.txt", path.join(fx.workspace, "bin/link.txt"));
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.uploadArtifact({ runId: "r", name: "bin", paths: "bin", ...(await fx.job(fx.workspace)) });
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      name: "bin",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.equal((await stat(path.join(out, "tool"))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(out, "data.txt"))).mode & 0o111, 0);
    assert.deepEqual(await readTree(out), {
      "data.txt": "target",
      "link.txt": "target",
      tool: "#!/bin/sh\necho hi\n",
    });
  });

  test("if-no-files-found: error throws STORE_NO_FILES, warn warns, ignore is silent; none creates an artifact", async () => {
    const fx = await createFixture();
    const store = new ContentStore({ dataDir: fx.dataDir });
    const base = { runId: "r", name: "none", paths: "dist/**", ...(await fx.job(fx.workspace)) };
    const message = "No files were found with the provided path: dist/**. No artifacts will be uploaded.";
    await assert.rejects(
      store.uploadArtifact({ ...base, ifNoFilesFound: "error" }),
      rejectsWithCode("STORE_NO_FILES", new RegExp(message.replace(/[.*]/g, "\\$&"))),
    );
    const warned = await store.uploadArtifact({ ...base, ifNoFilesFound: "warn" });
    assert.deepEqual(warned.warnings, [message]);
    assert.equal(warned.uploaded, false);
    const defaulted = await store.uploadArtifact(base);
    assert.deepEqual(defaulted.warnings, [message], "warn is the default");
    const ignored = await store.uploadArtifact({ ...base, ifNoFilesFound: "ignore" });
    assert.deepEqual(ignored.warnings, []);
    assert.deepEqual(await store.listArtifacts("r"), []);
  });

  test("a second upload with the same name fails unless overwrite, which replaces the content", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "first" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    const base = { runId: "r", name: "same", paths: "a.txt", ...(await fx.job(fx.workspace)) };
    await store.uploadArtifact(base);
    await assert.rejects(
      store.uploadArtifact(base),
      rejectsWithCode("STORE_ARTIFACT_EXISTS", /artifact named 'same' already exists in run r/),
    );
    await fx.write({ "a.txt": "second" });
    await store.uploadArtifact({ ...base, overwrite: true });
    const out = fx.dir("out");
    await store.downloadArtifact({
      runId: "r",
      name: "same",
      destination: out,
      files: (await fx.job()).files,
    });
    assert.deepEqual(await readTree(out), { "a.txt": "second" });
    // The same name in another run is a different artifact.
    assert.equal((await store.uploadArtifact({ ...base, runId: "other" })).uploaded, true);
  });

  test("download all, by pattern, and with merge-multiple", async () => {
    const fx = await createFixture();
    await fx.write({ "linux/app": "L", "mac/app": "M", "docs/index.html": "D" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    for (const [name, dir] of [
      ["build-linux", "linux"],
      ["build-mac", "mac"],
      ["docs", "docs"],
    ] as const) {
      await store.uploadArtifact({ runId: "r", name, paths: `${dir}/`, ...(await fx.job(fx.workspace)) });
    }

    const all = fx.dir("all");
    const everything = await store.downloadArtifact({
      runId: "r",
      destination: all,
      files: (await fx.job()).files,
    });
    assert.deepEqual(
      everything.artifacts.map((a) => a.name),
      ["build-linux", "build-mac", "docs"],
    );
    assert.deepEqual(await readTree(all), {
      "build-linux/app": "L",
      "build-mac/app": "M",
      "docs/index.html": "D",
    });

    const some = fx.dir("some");
    await store.downloadArtifact({
      runId: "r",
      pattern: "build-*",
      destination: some,
      files: (await fx.job()).files,
    });
    assert.deepEqual(await readTree(some), { "build-linux/app": "L", "build-mac/app": "M" });

    const merged = fx.dir("merged");
    const result = await store.downloadArtifact({
      runId: "r",
      pattern: "build-*",
      mergeMultiple: true,
      destination: merged,
      files: (await fx.job()).files,
    });
    assert.equal(result.artifacts.length, 2);
    // Both contain app: merging writes them into one directory, the later (by name) wins.
    assert.deepEqual(await readTree(merged), { app: "M" });

    const none = await store.downloadArtifact({
      runId: "r",
      pattern: "nothing-*",
      destination: fx.dir("none"),
      files: (await fx.job()).files,
    });
    assert.deepEqual(none.artifacts, []);
  });

  test("a missing artifact name is an error that lists the artifacts that exist", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "a" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await store.uploadArtifact({
      runId: "r",
      name: "alpha",
      paths: "a.txt",
      ...(await fx.job(fx.workspace)),
    });
    await store.uploadArtifact({ runId: "r", name: "beta", paths: "a.txt", ...(await fx.job(fx.workspace)) });
    await assert.rejects(
      store.downloadArtifact({
        runId: "r",
        name: "gamma",
        destination: fx.dir("out"),
        files: (await fx.job()).files,
      }),
      rejectsWithCode(
        "STORE_ARTIFACT_NOT_FOUND",
        /not found for name: 'gamma' in run r\. Artifacts in this run: 'alpha', 'beta'\./,
      ),
    );
    await assert.rejects(
      store.downloadArtifact({
        runId: "empty-run",
        name: "gamma",
        destination: fx.dir("out"),
        files: (await fx.job()).files,
      }),
      rejectsWithCode("STORE_ARTIFACT_NOT_FOUND", /This run has no artifacts/),
    );
  });

  test("listArtifacts reports size, file count and retention", async () => {
    const fx = await createFixture();
    await fx.write({ "d/one.txt": "1", "d/two.txt": "22" });
    const now = new Date("2030-01-01T00:00:00Z");
    const store = new ContentStore({ dataDir: fx.dataDir, now: () => now });
    const uploaded = await store.uploadArtifact({
      runId: "r",
      name: "d",
      paths: "d",
      ...(await fx.job(fx.workspace)),
      retentionDays: 5,
    });
    assert.deepEqual(await store.listArtifacts("r"), [
      {
        id: uploaded.id,
        name: "d",
        fileCount: 2,
        size: 3,
        digest: uploaded.digest,
        createdAt: "2030-01-01T00:00:00.000Z",
        expiresAt: "2030-01-06T00:00:00.000Z",
      },
    ]);
  });

  test("identical content gives the same digest; different content a different one", async () => {
    const fx = await createFixture();
    await fx.write({ "x/a.txt": "same" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    const first = await store.uploadArtifact({
      runId: "r",
      name: "one",
      paths: "x",
      ...(await fx.job(fx.workspace)),
    });
    const second = await store.uploadArtifact({
      runId: "r",
      name: "two",
      paths: "x",
      ...(await fx.job(fx.workspace)),
    });
    await fx.write({ "x/a.txt": "changed" });
    const third = await store.uploadArtifact({
      runId: "r",
      name: "three",
      paths: "x",
      ...(await fx.job(fx.workspace)),
    });
    assert.equal(first.digest, second.digest);
    assert.notEqual(first.digest, third.digest);
  });

  test("input validation: names, retention-days, patterns, run ids", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "a" });
    await mkdir(path.join(fx.workspace, "empty"));
    const store = new ContentStore({ dataDir: fx.dataDir });
    const base = { runId: "r", name: "ok", paths: "a.txt", ...(await fx.job(fx.workspace)) };
    await assert.rejects(
      store.uploadArtifact({ ...base, name: "a/b" }),
      rejectsWithCode("STORE_INVALID_NAME", /forward slash/),
    );
    await assert.rejects(store.uploadArtifact({ ...base, name: "" }), rejectsWithCode("STORE_INVALID_NAME"));
    await assert.rejects(
      store.uploadArtifact({ ...base, retentionDays: 1.5 }),
      rejectsWithCode("STORE_INVALID_RETENTION"),
    );
    await assert.rejects(
      store.uploadArtifact({ ...base, paths: "../outside/*" }),
      rejectsWithCode("STORE_INVALID_PATTERN", /Relative pathing/),
    );
    await assert.rejects(
      store.uploadArtifact({ ...base, runId: "../x" }),
      rejectsWithCode("STORE_INVALID_RUN_ID"),
    );
    await writeFile(path.join(fx.workspace, "empty", "what?.txt"), "q");
    await assert.rejects(
      store.uploadArtifact({ ...base, name: "q", paths: "empty" }),
      rejectsWithCode("STORE_INVALID_FILE_PATH", /question mark/),
    );
    const clamped = await store.uploadArtifact({ ...base, retentionDays: 400 });
    assert.match(clamped.warnings[0] ?? "", /Using 90 instead/);
  });

  test("a missing workspace and a blob removed behind the store's back fail with their own codes", async () => {
    const fx = await createFixture();
    await fx.write({ "a.txt": "content" });
    const store = new ContentStore({ dataDir: fx.dataDir });
    await assert.rejects(
      store.uploadArtifact({
        runId: "r",
        name: "x",
        paths: "a.txt",
        ...(await fx.job()),
        workspace: fx.dir("nowhere"),
      }),
      rejectsWithCode("STORE_WORKSPACE_MISSING"),
    );
    await store.uploadArtifact({ runId: "r", name: "x", paths: "a.txt", ...(await fx.job(fx.workspace)) });
    const digest = createHash("sha256").update("content").digest("hex");
    await rm(path.join(fx.dataDir, "blobs", "sha256", digest.slice(0, 2), digest));
    await assert.rejects(
      store.downloadArtifact({
        runId: "r",
        name: "x",
        destination: fx.dir("out"),
        files: (await fx.job()).files,
      }),
      rejectsWithCode("STORE_BLOB_MISSING", new RegExp(`sha256:${digest}`)),
    );
  });
});
