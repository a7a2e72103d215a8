// Tests for the action store with real git repositories in temp dirs: add from a directory, a work tree and a URL; resolve by ref and SHA; policy; malformed references.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile, cp, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { addAction, listActions, resolveAction } from "../../src/runner/actions/action-store.js";
import { parseActionReference } from "../../src/runner/actions/action-reference.js";
import { ActionStoreError, type ActionStoreErrorCode } from "../../src/runner/actions/action-store-error.js";
import { loadAction } from "../../src/runner/actions/load-action.js";
import { makeGitRepo } from "../support/git-repo.js";
import { createActionFixture, runPhase, testdataActions, type ActionFixture } from "./action-fixture.js";

let temp: string;
const cleanups: string[] = [];
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), "hangar-action-store-test-"));
});
after(async () => {
  await Promise.all([temp, ...cleanups].map((dir) => rm(dir, { recursive: true, force: true })));
});

const pinned = { requirePinnedSha: true };
const unpinned = { requirePinnedSha: false };

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
}

async function newDataDir(): Promise<string> {
  return mkdtemp(path.join(temp, "data-"));
}

/** A git repository holding testdata/actions/plain-esm, tagged v1, with a later commit on main and a `release` branch. */
async function makeActionRepo(): Promise<{ dir: string; v1: string; main: string; release: string }> {
  const dir = await makeGitRepo({ "VERSION.txt": "v1\n" }, path.join(testdataActions, "plain-esm"));
  cleanups.push(dir);
  git(dir, "tag", "v1");
  const v1 = git(dir, "rev-parse", "HEAD");
  git(dir, "checkout", "-q", "-b", "release");
  await writeFile(path.join(dir, "VERSION.txt"), "release\n");
  git(dir, "commit", "-q", "-am", "release");
  const release = git(dir, "rev-parse", "HEAD");
  git(dir, "checkout", "-q", "main");
  await writeFile(path.join(dir, "VERSION.txt"), "main\n");
  git(dir, "commit", "-q", "-am", "main");
  return { dir, v1, main: git(dir, "rev-parse", "HEAD"), release };
}

async function rejection(promise: Promise<unknown>, code: ActionStoreErrorCode): Promise<ActionStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ActionStoreError, `expected ActionStoreError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

test("parseActionReference splits owner, repo, path and ref", () => {
  assert.deepEqual(parseActionReference("actions/checkout@v4"), {
    owner: "actions",
    repo: "checkout",
    ref: "v4",
  });
  assert.deepEqual(parseActionReference("github/codeql-action/init@v3.1"), {
    owner: "github",
    repo: "codeql-action",
    path: "init",
    ref: "v3.1",
  });
  assert.deepEqual(parseActionReference("o/r.js/a/b@releases/v1"), {
    owner: "o",
    repo: "r.js",
    path: "a/b",
    ref: "releases/v1",
  });
});

test("malformed references are refused with the expected format and the reason", () => {
  const cases: Array<[string, RegExp]> = [
    ["actions/checkout", /there is no @ref/],
    ["checkout@v4", /'' is not a valid repository name/],
    ["actions/checkout@", /the ref after @ is empty/],
    ["-bad/checkout@v1", /'-bad' is not a valid owner/],
    ["actions/check out@v1", /not a valid repository name/],
    ["actions/checkout/../x@v1", /'\.\.' segment/],
    ["actions/checkout//x@v1", /empty, '\.' or '\.\.' segment/],
    ["actions/checkout@v1..2", /not a valid git ref/],
    ["actions/checkout@v 1", /contains a character git does not allow/],
    ["actions/checkout@.hidden", /one starting with '\.'/],
  ];
  for (const [uses, reason] of cases) {
    assert.throws(
      () => parseActionReference(uses),
      (error: unknown) => {
        assert.ok(error instanceof ActionStoreError);
        assert.equal(error.code, "ACTION_REF_MALFORMED");
        assert.ok(
          error.message.startsWith(`Expected format {owner}/{repo}[/path]@{ref}. Actual '${uses}': `),
          error.message,
        );
        assert.match(error.message, reason);
        return true;
      },
      uses,
    );
  }
});

test("add from a plain directory copies it and records a content digest, not a commit", async () => {
  const dataDir = await newDataDir();
  const source = await mkdtemp(path.join(temp, "plain-"));
  await cp(path.join(testdataActions, "plain-esm"), source, { recursive: true });
  const stored = await addAction(dataDir, "Octo-Org/Greet@v1", source);
  assert.equal(stored.isCommit, false);
  assert.match(stored.sha, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    [stored.owner, stored.repo, stored.ref, stored.source],
    ["octo-org", "greet", "v1", source],
  );

  const manifest = JSON.parse(await readFile(path.join(dataDir, "actions/octo-org/greet/v1.json"), "utf8"));
  assert.deepEqual(manifest, stored);
  const resolved = await resolveAction(dataDir, parseActionReference("octo-org/greet@v1"), unpinned);
  // Files are kept under their digest, once.
  assert.equal(resolved.dir, path.join(dataDir, "actions/octo-org/greet/.trees", stored.sha));
  assert.equal(
    await readFile(path.join(resolved.dir, "index.mjs"), "utf8"),
    await readFile(path.join(source, "index.mjs"), "utf8"),
  );
  // A digest is no ref anyone can use, so no manifest names it; adding the same files again gives the same digest.
  assert.equal(await exists(path.join(dataDir, "actions/octo-org/greet", `${stored.sha}.json`)), false);
  assert.equal((await addAction(dataDir, "octo-org/greet@v1-again", source)).sha, stored.sha);
});

test("add from a work tree that does not have the ref copies it as it is, without .git, at its HEAD commit", async () => {
  const dataDir = await newDataDir();
  const { dir, main } = await makeActionRepo();
  await writeFile(path.join(dir, "UNCOMMITTED.txt"), "local change\n");
  const stored = await addAction(dataDir, "octo-org/greet@dev", dir);
  assert.deepEqual([stored.sha, stored.isCommit, stored.source], [main, true, dir]);
  const byRef = await resolveAction(dataDir, parseActionReference("octo-org/greet@dev"), unpinned);
  assert.equal(await readFile(path.join(byRef.dir, "UNCOMMITTED.txt"), "utf8"), "local change\n");
  assert.equal(await exists(path.join(byRef.dir, ".git")), false);
  const bySha = await resolveAction(dataDir, parseActionReference(`octo-org/greet@${main}`), pinned);
  assert.equal(bySha.dir, byRef.dir, "a ref and its SHA share one copy of the files");
  assert.equal(bySha.dir, path.join(dataDir, "actions/octo-org/greet/.trees", main));
  assert.equal(bySha.stored.ref, main);
});

test("add from a git URL at a tag checks out the tag's commit and resolves by tag and by SHA", async () => {
  const dataDir = await newDataDir();
  const { dir, v1 } = await makeActionRepo();
  const stored = await addAction(dataDir, "octo-org/greet@v1", `file://${dir}`);
  assert.deepEqual([stored.sha, stored.isCommit, stored.source], [v1, true, `file://${dir}`]);
  for (const ref of ["v1", v1]) {
    const resolved = await resolveAction(dataDir, parseActionReference(`octo-org/greet@${ref}`), unpinned);
    assert.equal(await readFile(path.join(resolved.dir, "VERSION.txt"), "utf8"), "v1\n", ref);
    assert.equal(await exists(path.join(resolved.dir, ".git")), false);
    assert.equal(resolved.stored.sha, v1);
  }
});

test("add from a work tree that has the ref takes the committed tree at that branch, not the checkout", async () => {
  const dataDir = await newDataDir();
  const { dir, release } = await makeActionRepo();
  const stored = await addAction(dataDir, "octo-org/greet@release", dir);
  assert.equal(stored.sha, release);
  const resolved = await resolveAction(dataDir, parseActionReference("octo-org/greet@release"), unpinned);
  assert.equal(await readFile(path.join(resolved.dir, "VERSION.txt"), "utf8"), "release\n");
  assert.equal(git(dir, "rev-parse", "--abbrev-ref", "HEAD"), "main", "the source checkout is left alone");
});

test("add from a bare repository at a full SHA, and at a branch that exists only on the remote", async () => {
  const dataDir = await newDataDir();
  const { dir, v1, release } = await makeActionRepo();
  const bare = path.join(temp, `bare-${path.basename(dir)}.git`);
  execFileSync("git", ["clone", "-q", "--bare", dir, bare]);
  const bySha = await addAction(dataDir, `octo-org/greet@${v1}`, bare);
  assert.equal(bySha.sha, v1);
  assert.equal((await listActions(dataDir)).length, 1, "a SHA ref is stored once");
  const byBranch = await addAction(dataDir, "octo-org/greet@release", bare);
  assert.equal(byBranch.sha, release);
});

test("a ref with a slash is one store entry; a path in the reference is joined to its directory", async () => {
  const dataDir = await newDataDir();
  const dir = await makeGitRepo({}, testdataActions);
  cleanups.push(dir);
  git(dir, "tag", "releases/v2");
  const stored = await addAction(dataDir, "octo-org/testdata@releases/v2", `file://${dir}`);
  const resolved = await resolveAction(
    dataDir,
    parseActionReference("octo-org/testdata/pre-post@releases/v2"),
    unpinned,
  );
  assert.equal(resolved.dir, path.join(dataDir, "actions/octo-org/testdata/.trees", stored.sha, "pre-post"));
  assert.ok(await exists(path.join(dataDir, "actions/octo-org/testdata/releases%2Fv2.json")));
  assert.equal(
    (await loadAction(resolved.dir, "octo-org/testdata/pre-post@releases/v2")).template.name,
    "Pre and post",
  );
});

test("re-adding a tag at a new commit replaces it; the old commit still resolves by SHA", async () => {
  const dataDir = await newDataDir();
  const { dir, v1, main } = await makeActionRepo();
  await addAction(dataDir, "octo-org/greet@v1", `file://${dir}`);
  git(dir, "tag", "-f", "v1", main);
  const moved = await addAction(dataDir, "octo-org/greet@v1", `file://${dir}`);
  assert.equal(moved.sha, main);
  const tag = await resolveAction(dataDir, parseActionReference("octo-org/greet@v1"), unpinned);
  assert.equal(await readFile(path.join(tag.dir, "VERSION.txt"), "utf8"), "main\n");
  const old = await resolveAction(dataDir, parseActionReference(`octo-org/greet@${v1}`), unpinned);
  assert.equal(await readFile(path.join(old.dir, "VERSION.txt"), "utf8"), "v1\n");
  assert.deepEqual(
    (await listActions(dataDir)).map((a) => [a.ref, a.sha]),
    [
      [main, main],
      [v1, v1],
      ["v1", main],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  );
});

test("a missing action names the exact command that adds it", async () => {
  const dataDir = await newDataDir();
  const error = await rejection(
    resolveAction(dataDir, parseActionReference("Octo-Org/Greet/sub@v3"), unpinned),
    "ACTION_NOT_IN_STORE",
  );
  assert.ok(
    error.message.endsWith(
      `Add it with: hangar actions add Octo-Org/Greet@v3 --from DIR_OR_GIT_URL --data-dir ${dataDir}`,
    ),
    error.message,
  );
  assert.match(error.message, /^Action Octo-Org\/Greet\/sub@v3 is not in hangar's action store/);
});

test("requirePinnedSha refuses a tag (naming the SHA the store has for it) and accepts the SHA", async () => {
  const dataDir = await newDataDir();
  const { dir, v1 } = await makeActionRepo();
  await addAction(dataDir, "octo-org/greet@v1", `file://${dir}`);
  const error = await rejection(
    resolveAction(dataDir, parseActionReference("octo-org/greet@v1"), pinned),
    "ACTION_NOT_PINNED",
  );
  assert.equal(
    error.message,
    `The action octo-org/greet@v1 is not allowed because all actions must be pinned to a full-length commit SHA. The store has v1 at ${v1}: use octo-org/greet@${v1}.`,
  );
  const unknown = await rejection(
    resolveAction(dataDir, parseActionReference("octo-org/other@main"), pinned),
    "ACTION_NOT_PINNED",
  );
  assert.match(unknown.message, /Use octo-org\/other@<40-character commit SHA>\.$/);
  assert.equal(
    (await resolveAction(dataDir, parseActionReference(`octo-org/greet@${v1}`), pinned)).stored.sha,
    v1,
  );
});

test("add refuses a ref the repository lacks, a short SHA, a missing source and a path in the spec", async () => {
  const dataDir = await newDataDir();
  const { dir, v1 } = await makeActionRepo();
  const missing = await rejection(
    addAction(dataDir, "octo-org/greet@v9", `file://${dir}`),
    "ACTION_REF_NOT_FOUND",
  );
  assert.equal(missing.message, `'v9' is neither a tag, a branch nor a full commit SHA in file://${dir}.`);
  await rejection(
    addAction(dataDir, `octo-org/greet@${v1.slice(0, 7)}`, `file://${dir}`),
    "ACTION_REF_NOT_FOUND",
  );
  await rejection(
    addAction(dataDir, "octo-org/greet@v1", path.join(temp, "no-such-dir")),
    "ACTION_SOURCE_INVALID",
  );
  const withPath = await rejection(addAction(dataDir, "octo-org/greet/sub@v1", dir), "ACTION_REF_MALFORMED");
  assert.equal(
    withPath.message,
    "Add the whole repository, octo-org/greet@v1; steps then use octo-org/greet/sub@v1.",
  );
  await rejection(
    addAction(dataDir, "octo-org/greet@v1", `file://${path.join(temp, "nope")}`),
    "ACTION_GIT_FAILED",
  );
  assert.deepEqual(await listActions(dataDir), []);
});

test("an action resolved from the store loads and runs", async () => {
  const fixture: ActionFixture = await createActionFixture();
  try {
    const dataDir = await newDataDir();
    const { dir, v1 } = await makeActionRepo();
    await addAction(dataDir, "octo-org/greet@v1", `file://${dir}`);
    const resolved = await resolveAction(dataDir, parseActionReference(`octo-org/greet@${v1}`), pinned);
    const action = {
      ...(await loadAction(resolved.dir, `octo-org/greet@${v1}`)),
      repository: "octo-org/greet",
      ref: v1,
    };
    const { result } = await runPhase(fixture, action, "main", { inputs: { who: "store", greeting: "Hey" } });
    assert.equal(result.outcome, "success");
    assert.equal(result.outputs.message, "Hey, store!");
    assert.equal(result.outputs.action_ref, v1);
    assert.equal(result.outputs.action_path, resolved.dir);
  } finally {
    await fixture.dispose();
  }
});

test("listActions on a data dir with no store is empty", async () => {
  const dataDir = await newDataDir();
  await mkdir(path.join(dataDir, "unrelated"));
  assert.deepEqual(await listActions(dataDir), []);
});

test("an entry stored as a copy per ref, before trees were kept by SHA, is still read and replaced on re-add", async () => {
  const dataDir = await newDataDir();
  const { dir, v1 } = await makeActionRepo();
  const repoStore = path.join(dataDir, "actions/octo-org/greet");
  // The layout before: <ref>/ holds the files beside <ref>.json.
  await mkdir(path.join(repoStore, "v1"), { recursive: true });
  await writeFile(path.join(repoStore, "v1", "VERSION.txt"), "legacy\n");
  const manifest = {
    owner: "octo-org",
    repo: "greet",
    ref: "v1",
    sha: v1,
    isCommit: true,
    source: dir,
    addedAt: "x",
  };
  await writeFile(path.join(repoStore, "v1.json"), JSON.stringify(manifest));
  const legacy = await resolveAction(dataDir, parseActionReference("octo-org/greet@v1"), unpinned);
  assert.equal(await readFile(path.join(legacy.dir, "VERSION.txt"), "utf8"), "legacy\n");

  await addAction(dataDir, "octo-org/greet@v1", dir);
  const readded = await resolveAction(dataDir, parseActionReference("octo-org/greet@v1"), unpinned);
  assert.equal(await readFile(path.join(readded.dir, "VERSION.txt"), "utf8"), "v1\n");
  assert.equal(await exists(path.join(repoStore, "v1")), false, "the per-ref copy is gone");
});
