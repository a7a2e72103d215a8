// A job's copy of a checkout (copy-checkout.ts): git in the copy reads the same history, keeps the repository's format
// and remotes, leaves the user's hooks and helpers behind, and never writes into the source's objects.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { copyCheckout } from "../../src/runner/executors/copy-checkout.js";

const temp = await mkdtemp(path.join(os.tmpdir(), "hangar-copy-checkout-"));
after(() => rm(temp, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-C", cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    encoding: "utf8",
  }).trim();

async function repository(name: string, initArgs: string[] = []): Promise<string> {
  const dir = path.join(temp, name);
  execFileSync("git", ["init", "-q", "-b", "main", ...initArgs, dir]);
  await writeFile(path.join(dir, "a.txt"), "a\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "first");
  git(dir, "remote", "add", "origin", String.raw`https://example.com/o/"quoted\path".git`);
  git(dir, "config", "core.hooksPath", "/nonexistent/hooks");
  git(dir, "config", "credential.helper", "store");
  await writeFile(path.join(dir, ".git/hooks/pre-commit"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
  return dir;
}

/** copyCheckout fills an empty directory, as a job's workspace is when it starts. */
async function copyOf(source: string, linkGitObjects: boolean): Promise<string> {
  const copy = await mkdtemp(path.join(temp, "copy-"));
  await copyCheckout(source, copy, { linkGitObjects });
  return copy;
}

/** Every object file in a repository, so a test can see that the copy added none to the source. */
async function objectFiles(repo: string): Promise<string[]> {
  return (await readdir(path.join(repo, ".git/objects"), { recursive: true })).sort();
}

for (const linkGitObjects of [false, true]) {
  test(`a plain .git is copied${linkGitObjects ? " with linked objects" : ""}: same history and remotes, none of the user's hooks or helpers, and commits stay in the copy`, async () => {
    const source = await repository(`plain-${linkGitObjects}`);
    await writeFile(path.join(source, "a.txt"), "changed\n");
    const objectsBefore = await objectFiles(source);
    const copy = await copyOf(source, linkGitObjects);

    assert.equal(git(copy, "status", "--porcelain"), "M a.txt");
    assert.equal(git(copy, "log", "-1", "--format=%s"), "first");
    assert.equal(
      git(copy, "remote", "get-url", "origin"),
      String.raw`https://example.com/o/"quoted\path".git`,
    );
    assert.equal(git(copy, "rev-parse", "--abbrev-ref", "HEAD"), "main");
    assert.equal(git(copy, "config", "--get", "remote.origin.fetch"), "+refs/heads/*:refs/remotes/origin/*");
    assert.throws(() => git(copy, "config", "--get", "core.hooksPath"));
    assert.throws(() => git(copy, "config", "--get", "credential.helper"));
    assert.ok(!existsSync(path.join(copy, ".git/hooks/pre-commit")));
    git(copy, "fsck", "--no-progress");

    git(copy, "commit", "-q", "-am", "in the copy");
    git(copy, "gc", "-q", "--prune=now");
    assert.deepEqual(await objectFiles(source), objectsBefore);
    assert.equal(git(source, "log", "-1", "--format=%s"), "first");
  });
}

test("a sha256 repository keeps its object format", async () => {
  const source = await repository("sha256", ["--object-format=sha256"]);
  const copy = await copyOf(source, false);
  assert.equal(git(copy, "rev-parse", "--show-object-format"), "sha256");
  assert.equal(git(copy, "rev-parse", "HEAD"), git(source, "rev-parse", "HEAD"));
  git(copy, "fsck", "--no-progress");
});

test("a worktree (its .git is a file) is cloned: same HEAD and files", async () => {
  const main = await repository("with-worktree");
  const worktree = path.join(temp, "worktree");
  git(main, "worktree", "add", "-q", "-b", "feature", worktree);
  const copy = await copyOf(worktree, false);
  assert.equal(git(copy, "rev-parse", "--abbrev-ref", "HEAD"), "feature");
  assert.equal(git(copy, "status", "--porcelain"), "");
  git(copy, "fsck", "--no-progress");
});
