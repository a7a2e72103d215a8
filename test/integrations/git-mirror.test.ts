// Tests bare repository mirrors against real git repositories in temp dirs, reached by path and by file:// URL.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, test } from "node:test";
import {
  changedFiles,
  ensureMirror,
  fetchCommit,
  fetchRef,
  GitMirrorError,
  readWorkflowFiles,
  zeroSha,
} from "../../src/integrations/github/index.js";
import { makeGitRepo } from "../support/git-repo.js";

const cleanup: string[] = [];
after(() => Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true }))));

const ciV1 = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo v1\n";
const ciV2 = ciV1.replace("v1", "v2");

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
}

async function commitFiles(
  repo: string,
  files: Record<string, string | null>,
  message: string,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(repo, name);
    if (content === null) await unlink(file);
    else {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

async function makeSource(): Promise<{ repo: string; first: string }> {
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": ciV1,
    ".github/workflows/notes.txt": "not a workflow",
    ".github/workflows/nested/deep.yml": ciV1,
    "src/app.ts": "export {};\n",
  });
  cleanup.push(repo);
  return { repo, first: git(repo, "rev-parse", "HEAD") };
}

async function makeMirrorDir(): Promise<string> {
  const base = await mkdtemp(path.join(os.tmpdir(), "hangar-mirror-"));
  cleanup.push(base);
  return path.join(base, "octo-org", "octo-repo.git");
}

test("reads the workflow files of a given commit even after later commits change them", async () => {
  const { repo, first } = await makeSource();
  const second = await commitFiles(
    repo,
    { ".github/workflows/ci.yml": ciV2, ".github/workflows/release.yaml": ciV1 },
    "second",
  );
  const third = await commitFiles(repo, { ".github/workflows/ci.yml": null }, "third");
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  await fetchCommit(mirror, third, "refs/heads/main");
  assert.equal(git(mirror, "rev-parse", "--is-bare-repository"), "true");

  // Subdirectories and other extensions are not workflows (docs "Workflow syntax": .github/workflows/*.yml).
  assert.deepEqual(await readWorkflowFiles(mirror, first), [
    { path: ".github/workflows/ci.yml", content: ciV1 },
  ]);
  assert.deepEqual(await readWorkflowFiles(mirror, second), [
    { path: ".github/workflows/ci.yml", content: ciV2 },
    { path: ".github/workflows/release.yaml", content: ciV1 },
  ]);
  assert.deepEqual(await readWorkflowFiles(mirror, third), [
    { path: ".github/workflows/release.yaml", content: ciV1 },
  ]);
});

test("a commit without .github/workflows has no workflow files", async () => {
  const repo = await makeGitRepo({ "README.md": "# no workflows\n" });
  cleanup.push(repo);
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  const sha = git(repo, "rev-parse", "HEAD");
  await fetchCommit(mirror, sha);
  assert.deepEqual(await readWorkflowFiles(mirror, sha), []);
});

test("fetches a commit pushed after the mirror was made, over a file:// URL", async () => {
  const { repo, first } = await makeSource();
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, pathToFileURL(repo).href);
  await fetchCommit(mirror, first);
  const later = await commitFiles(repo, { ".github/workflows/ci.yml": ciV2 }, "later");
  await assert.rejects(readWorkflowFiles(mirror, later), { code: "MIRROR_COMMIT_NOT_FOUND" });

  // A second ensureMirror on the same directory is harmless, as it happens on every event.
  await ensureMirror(mirror, pathToFileURL(repo).href);
  await fetchCommit(mirror, later);
  assert.deepEqual(await readWorkflowFiles(mirror, later), [
    { path: ".github/workflows/ci.yml", content: ciV2 },
  ]);
  // The fetched commit is kept by a ref, so garbage collection cannot drop it.
  assert.equal(git(mirror, "rev-parse", `refs/hangar/commits/${later}`), later);
});

test("deliveries arriving together each get the mirror and the commit", async () => {
  const { repo, first } = await makeSource();
  const mirror = await makeMirrorDir();
  const later = await commitFiles(repo, { ".github/workflows/ci.yml": ciV2 }, "later");
  // Sixteen webhooks for one repository at once: git's lock files must not fail any of them.
  await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      await ensureMirror(mirror, repo);
      await fetchCommit(mirror, i % 2 === 0 ? first : later, "refs/heads/main");
      await fetchRef(mirror, "refs/heads/main");
    }),
  );
  assert.equal((await readWorkflowFiles(mirror, later))[0]?.content, ciV2);
});

test("fetches a commit on a branch that is not the default one", async () => {
  const { repo } = await makeSource();
  git(repo, "checkout", "-q", "-b", "feature/x");
  const onBranch = await commitFiles(repo, { "src/feature.ts": "export {};\n" }, "feature");
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  await fetchCommit(mirror, onBranch, "refs/heads/feature/x");
  assert.equal((await readWorkflowFiles(mirror, onBranch)).length, 1);
});

test("fetchRef returns the commit a branch points to", async () => {
  const { repo } = await makeSource();
  const head = await commitFiles(repo, { "src/b.ts": "export {};\n" }, "b");
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  assert.equal(await fetchRef(mirror, "refs/heads/main"), head);
});

test("an unknown commit fails with MIRROR_COMMIT_NOT_FOUND, a bad SHA with MIRROR_BAD_OBJECT_NAME", async () => {
  const { repo } = await makeSource();
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  await assert.rejects(fetchCommit(mirror, "1".repeat(40)), (error: unknown) => {
    assert.ok(error instanceof GitMirrorError);
    assert.equal(error.code, "MIRROR_COMMIT_NOT_FOUND");
    assert.match(error.message, /1{40}/);
    return true;
  });
  for (const bad of ["--upload-pack=touch /tmp/x", "HEAD", "abc123", "A".repeat(40)]) {
    await assert.rejects(fetchCommit(mirror, bad), { code: "MIRROR_BAD_OBJECT_NAME" }, bad);
  }
  await assert.rejects(fetchRef(mirror, "main"), { code: "MIRROR_BAD_OBJECT_NAME" });
  await assert.rejects(fetchRef(mirror, "refs/heads/a..b"), { code: "MIRROR_BAD_OBJECT_NAME" });
});

test("an unreachable remote fails with MIRROR_GIT_FAILED, naming the remote without its credentials", async () => {
  const mirror = await makeMirrorDir();
  // Port 1 on loopback refuses connections at once.
  await ensureMirror(mirror, "https://x-access-token:hunter22@127.0.0.1:1/octo-org/octo-repo.git");
  await assert.rejects(fetchCommit(mirror, "2".repeat(40)), (error: unknown) => {
    assert.ok(error instanceof GitMirrorError);
    assert.equal(error.code, "MIRROR_GIT_FAILED");
    assert.match(error.message, /127\.0\.0\.1:1\/octo-org\/octo-repo\.git/);
    assert.doesNotMatch(error.message, /hunter22/);
    return true;
  });
});

test("changed files between two commits, including both sides of a rename", async () => {
  const { repo, first } = await makeSource();
  const second = await commitFiles(
    repo,
    { "docs/guide.md": "# guide\n", "src/app.ts": "export const a = 1;\n" },
    "2",
  );
  git(repo, "mv", "docs/guide.md", "docs/manual.md");
  git(repo, "commit", "-q", "-m", "rename");
  const third = git(repo, "rev-parse", "HEAD");
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  await fetchCommit(mirror, third, "refs/heads/main");

  assert.deepEqual(await changedFiles(mirror, first, second), ["docs/guide.md", "src/app.ts"]);
  assert.deepEqual(await changedFiles(mirror, second, third), ["docs/guide.md", "docs/manual.md"]);
  assert.deepEqual(await changedFiles(mirror, third, third), []);
});

test("changed files are unknown for a new branch or a before commit the mirror lacks", async () => {
  const { repo, first } = await makeSource();
  const mirror = await makeMirrorDir();
  await ensureMirror(mirror, repo);
  await fetchCommit(mirror, first);
  assert.equal(await changedFiles(mirror, zeroSha, first), undefined);
  assert.equal(await changedFiles(mirror, "3".repeat(40), first), undefined);
  assert.equal(await changedFiles(mirror, "", first), undefined);
});
