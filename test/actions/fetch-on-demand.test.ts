// Actions and reusable workflows missing from the store, fetched on first use from a real git smart-HTTP server on
// loopback (`git http-backend`): reuse, one fetch for parallel jobs, --offline, pinning, private repositories, one
// copy per SHA, incomplete commits refused, gc.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { addAction, listActions, resolveAction } from "../../src/runner/actions/action-store.js";
import { parseActionReference } from "../../src/runner/actions/action-reference.js";
import { ActionStoreError } from "../../src/runner/actions/action-store-error.js";
import { collectActionGarbage } from "../../src/runner/actions/collect-action-garbage.js";
import { makeGitRepo } from "../support/git-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server.js";
import { runHangar } from "../support/hangar-cli.js";
import { sayingCalledWorkflow, testdataActions } from "./action-fixture.js";

const privateToken = "ghs_private-action-token-0123456789";
let temp: string;
let server: GitHttpServer;
let preAndPostSha: string;
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), "hangar-fetch-on-demand-"));
  server = await startGitHttpServer({
    root: path.join(temp, "git"),
    privateRepositories: { "octo-org/secret-action": privateToken },
  });
  const action = await makeGitRepo({}, path.join(testdataActions, "pre-post"));
  git(action, "tag", "v1");
  preAndPostSha = git(action, "rev-parse", "HEAD");
  for (const name of ["pre-post", "twice", "offline", "secret-action", "pinned"]) {
    await server.publish(`octo-org/${name}`, action);
  }
  await rm(action, { recursive: true, force: true });
});
after(async () => {
  await server.close();
  await rm(temp, { recursive: true, force: true });
});

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: "pipe" }).trim();
}

function workflowUsing(...uses: string[]): string {
  const jobs = uses.map(
    (action, index) => `  use${index}:
    runs-on: ubuntu-latest
    steps:
      - uses: ${action}
`,
  );
  return `on: push\njobs:\n${jobs.join("")}`;
}

async function runIn(workflow: string, args: string[] = [], env: Record<string, string> = {}) {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  try {
    return await runHangar(["run", ".", "--github-url", server.url, ...args, "--json"], { cwd: repo, env });
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

/** Each git command over smart HTTP starts with one GET of info/refs: ls-remote once, fetch once. */
function gitCommandsFor(repository: string): number {
  return server.requestsFor(repository).filter((r) => r.method === "GET" && r.url.includes("/info/refs"))
    .length;
}

test("first use fetches the action and runs it; the second use does not reach the server", async () => {
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const first = await runIn(workflowUsing("octo-org/pre-post@v1"), ["--data-dir", dataDir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /main sees pre ran/);
  const fetched = server.requestsFor("octo-org/pre-post").length;
  assert.equal(gitCommandsFor("octo-org/pre-post"), 2, "ls-remote, then one fetch");
  assert.deepEqual(
    (await listActions(dataDir)).map((a) => [a.ref, a.sha, a.source]),
    [
      [preAndPostSha, preAndPostSha, `${server.url}/octo-org/pre-post.git`],
      ["v1", preAndPostSha, `${server.url}/octo-org/pre-post.git`],
    ],
  );

  const second = await runIn(workflowUsing("octo-org/pre-post@v1", `octo-org/pre-post@${preAndPostSha}`), [
    "--data-dir",
    dataDir,
  ]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(server.requestsFor("octo-org/pre-post").length, fetched, "served from the store");
});

test("two jobs that need one missing action at once fetch it once", async () => {
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const result = await runIn(workflowUsing("octo-org/twice@v1", "octo-org/twice@v1", "octo-org/twice@v1"), [
    "--data-dir",
    dataDir,
    "--max-parallel",
    "3",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { jobs: { conclusion: string }[] };
  assert.deepEqual(
    run.jobs.map((job) => job.conclusion),
    ["success", "success", "success"],
  );
  assert.equal(gitCommandsFor("octo-org/twice"), 2, "ls-remote, then one fetch");
});

test("--offline fetches nothing and names the action and the command that adds it", async () => {
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const result = await runIn(workflowUsing("octo-org/offline@v1"), ["--data-dir", dataDir, "--offline"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `Action octo-org/offline@v1 is not in hangar's action store .* and --offline forbids fetching it\\. ` +
        `Add it with: hangar actions add octo-org/offline@v1 --from ${server.url}/octo-org/offline\\.git`,
    ),
  );
  assert.equal(server.requestsFor("octo-org/offline").length, 0);
});

test("--require-pinned-actions refuses a tag before fetching, and fetches a pinned SHA", async () => {
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const refused = await runIn(workflowUsing("octo-org/pinned@v1"), [
    "--data-dir",
    dataDir,
    "--require-pinned-actions",
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /must be pinned to a full-length commit SHA/);
  assert.equal(server.requestsFor("octo-org/pinned").length, 0);
  const pinned = await runIn(workflowUsing(`octo-org/pinned@${preAndPostSha}`), [
    "--data-dir",
    dataDir,
    "--require-pinned-actions",
  ]);
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.equal(gitCommandsFor("octo-org/pinned"), 1, "a SHA needs no ls-remote");
});

test("a private repository is fetched with the job's token, which is never printed", async () => {
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const workflow = workflowUsing("octo-org/secret-action@v1");
  const without = await runIn(workflow, ["--data-dir", dataDir]);
  assert.equal(without.code, 1);
  assert.match(without.stderr, /Cannot fetch v1 from .*secret-action\.git: .*private/);

  const header = `basic ${Buffer.from(`x-access-token:${privateToken}`).toString("base64")}`;
  const withToken = await runIn(workflow, [
    "--data-dir",
    dataDir,
    "--secret",
    `GITHUB_TOKEN=${privateToken}`,
  ]);
  assert.equal(withToken.code, 0, withToken.stderr);
  const authorized = server.requestsFor("octo-org/secret-action").filter((r) => r.status === 200);
  assert.ok(
    authorized.length > 0 && authorized.every((r) => r.authorization?.toLowerCase() === header.toLowerCase()),
  );
  for (const output of [without, withToken]) {
    for (const secret of [privateToken, header.slice("basic ".length)]) {
      assert.ok(
        !output.stdout.includes(secret) && !output.stderr.includes(secret),
        "the token is never printed",
      );
    }
  }
});

test("a remote reusable workflow is fetched on first use", async () => {
  const shared = await makeGitRepo({
    ".github/workflows/shared.yml": sayingCalledWorkflow,
  });
  git(shared, "tag", "v2");
  await server.publish("octo-org/shared", shared);
  await rm(shared, { recursive: true, force: true });
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const result = await runIn(
    `on: push
jobs:
  call:
    uses: octo-org/shared/.github/workflows/shared.yml@v2
    with:
      name: fetched
  check:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.call.outputs.said }}" = "hi fetched"
`,
    ["--data-dir", dataDir],
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(gitCommandsFor("octo-org/shared"), 2);
});

async function measureFileBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const stats = await lstat(path.join(dir, name));
    if (stats.isFile()) bytes += stats.size;
  }
  return bytes;
}

test("a tag, a branch and the SHA of one commit are stored once; an older commit is fetched by its SHA", async () => {
  const big = await makeGitRepo({ "action.yml": "runs:\n  using: node20\n  main: index.js\n" });
  await writeFile(path.join(big, "dist.bin"), randomBytes(2 * 1024 * 1024));
  git(big, "add", "-A");
  git(big, "commit", "-q", "-m", "two MiB");
  const older = git(big, "rev-parse", "HEAD~1");
  git(big, "tag", "v3");
  const sha = git(big, "rev-parse", "HEAD");
  await server.publish("octo-org/big", big);
  await rm(big, { recursive: true, force: true });

  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const policy = { requirePinnedSha: false, source: { githubUrl: server.url, offline: false } };
  const byTag = await resolveAction(dataDir, parseActionReference("octo-org/big@v3"), policy);
  const byBranch = await resolveAction(dataDir, parseActionReference("octo-org/big@main"), policy);
  const bySha = await resolveAction(dataDir, parseActionReference(`octo-org/big@${sha}`), policy);
  assert.equal(byBranch.dir, byTag.dir);
  assert.equal(bySha.dir, byTag.dir);
  const store = path.join(dataDir, "actions/octo-org/big");
  const stored = await measureFileBytes(store);
  const tree = await measureFileBytes(byTag.dir);
  assert.ok(tree > 2 * 1024 * 1024, `the tree holds the 2 MiB file (${tree} B)`);
  // Manifests are a few hundred bytes each; a second copy would double the total.
  assert.ok(stored < tree + 4096, `one commit, three refs: ${stored} B stored for a ${tree} B tree`);
  assert.equal(gitCommandsFor("octo-org/big"), 3, "ls-remote v3, ls-remote main, one fetch");

  const old = await resolveAction(dataDir, parseActionReference(`octo-org/big@${older}`), policy);
  assert.equal(old.stored.sha, older);
  assert.deepEqual((await readdir(path.join(store, ".trees"))).sort(), [older, sha].sort());
});

test("a host that fails to send the action says git's reason, not that the repository is missing", async () => {
  const source = await makeGitRepo({}, path.join(testdataActions, "pre-post"));
  git(source, "tag", "v1");
  const bare = await server.publish("octo-org/corrupt", source);
  await rm(source, { recursive: true, force: true });
  const blob = git(bare, "rev-parse", "v1:action.yml");
  await rm(path.join(bare, "objects", blob.slice(0, 2), blob.slice(2)));
  const result = await runIn(workflowUsing("octo-org/corrupt@v1"));
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /Cannot fetch v1 from \S+corrupt\.git: git .* failed: .*unable to read/);
  assert.doesNotMatch(result.stderr, /does not exist/);
});

test("an add whose commit has a missing blob is refused and stores nothing", async () => {
  const source = await makeGitRepo({
    "action.yml": "runs:\n  using: node20\n  main: index.js\n",
    "index.js": "",
  });
  const blob = git(source, "rev-parse", "HEAD:index.js");
  await rm(path.join(source, ".git/objects", blob.slice(0, 2), blob.slice(2)));
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  const error = await addAction(dataDir, "octo-org/broken@main", source).then(
    () => undefined,
    (e: unknown) => e,
  );
  await rm(source, { recursive: true, force: true });
  assert.ok(error instanceof ActionStoreError, String(error));
  assert.equal(error.code, "ACTION_TREE_INCOMPLETE");
  assert.match(error.message, new RegExp(`cannot be read completely, so it was not stored: .*${blob}`));
  assert.deepEqual(await listActions(dataDir), []);
  assert.deepEqual(await readdir(path.join(dataDir, "actions/octo-org/broken")), []);
});

test("gc removes a tree no ref points at any more, once it is an hour old", async () => {
  const source = await makeGitRepo({ "VERSION.txt": "1\n" });
  git(source, "tag", "v1");
  const first = git(source, "rev-parse", "HEAD");
  const dataDir = await mkdtemp(path.join(temp, "data-"));
  await addAction(dataDir, "octo-org/moving@v1", source);
  await writeFile(path.join(source, "VERSION.txt"), "2\n");
  git(source, "commit", "-q", "-am", "2");
  git(source, "tag", "-f", "v1");
  await addAction(dataDir, "octo-org/moving@v1", source);
  await rm(source, { recursive: true, force: true });
  const trees = path.join(dataDir, "actions/octo-org/moving/.trees");
  // The old commit is still stored by its SHA: nothing to collect.
  assert.equal((await collectActionGarbage(dataDir, new Date())).trees.count, 0);
  await rm(path.join(dataDir, "actions/octo-org/moving", `${first}.json`));
  assert.equal((await collectActionGarbage(dataDir, new Date())).trees.count, 0, "too young");
  const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
  await utimes(path.join(trees, first), hourAgo, hourAgo);
  const report = await collectActionGarbage(dataDir, new Date());
  assert.deepEqual(report.trees, { count: 1, bytes: 2 });
  assert.equal((await readdir(trees)).length, 1);
  const kept = await resolveAction(dataDir, parseActionReference("octo-org/moving@v1"), {
    requirePinnedSha: false,
  });
  assert.notEqual(kept.stored.sha, first);
});
