// Tests for the runner: hashFiles() against real files, compared with an independently computed digest.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  hashFiles,
  HostExecutor,
  JobFileAgent,
  RunnerError,
  type HashFilesHost,
} from "../../src/runner/index.js";

/** GitHub's documented algorithm, computed independently: sha256 over the files' sha256 digests. */
function expectedHash(...contents: string[]): string {
  const outer = createHash("sha256");
  for (const content of contents) outer.update(createHash("sha256").update(content).digest());
  return outer.digest("hex");
}

async function withWorkspace(body: (host: HashFilesHost, outside: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "hangar-hash-test-"));
  const workspace = join(root, "ws");
  const outside = join(root, "outside");
  await mkdir(join(workspace, "sub", "deep"), { recursive: true });
  await mkdir(outside);
  await writeFile(join(workspace, "package-lock.json"), "lock v1");
  await writeFile(join(workspace, "sub", "deep", "b.txt"), "bee");
  await writeFile(join(workspace, "sub", "c.md"), "sea");
  await writeFile(join(outside, "secret.txt"), "outside");
  const executor = new HostExecutor({ baseDir: join(root, "jobs") });
  const dirs = await executor.prepare({ runId: "r", jobKey: "hash", workspace, bindWorkspace: true });
  try {
    await body({ agent: new JobFileAgent(executor, dirs), workspace }, outside);
  } finally {
    await executor.cleanup(dirs);
    await rm(root, { recursive: true, force: true });
  }
}

test("relative patterns resolve against the workspace and hash matched files in pattern order", async () => {
  await withWorkspace(async (host) => {
    assert.equal(await hashFiles(host, ["**/package-lock.json"]), expectedHash("lock v1"));
    assert.equal(
      await hashFiles(host, ["sub/**/*.txt", "package-lock.json"]),
      expectedHash("bee", "lock v1"),
    );
    assert.equal(await hashFiles(host, ["package-lock.json\nsub/c.md"]), expectedHash("lock v1", "sea"));
  });
});

test("negated patterns exclude, directories are skipped, no match gives an empty string", async () => {
  await withWorkspace(async (host) => {
    assert.equal(await hashFiles(host, ["sub/**", "!sub/c.md"]), expectedHash("bee"));
    assert.equal(await hashFiles(host, ["**/*.none"]), "");
  });
});

test("files outside the workspace are ignored; symlinks are followed only when asked", async () => {
  await withWorkspace(async (host, outside) => {
    assert.equal(await hashFiles(host, [join(outside, "secret.txt")]), "");
    await symlink(outside, join(host.workspace, "linked"));
    await symlink(join(host.workspace, "sub"), join(host.workspace, "inner"));
    assert.equal(await hashFiles(host, ["linked/**"]), "");
    assert.equal(await hashFiles(host, ["--follow-symbolic-links", "inner/deep/*"]), expectedHash("bee"));
    // Followed, a link that leaves the workspace leads to files that are not the repository's: skipped.
    assert.equal(await hashFiles(host, ["--follow-symbolic-links", "linked/**"]), "");
    await assert.rejects(hashFiles(host, ["--bogus", "x"]), RunnerError);
  });
});
