// A remote action end to end: `hangar actions add` from a git repository, then `hangar run` using it offline.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { sayingCalledWorkflow, testdataActions } from "./action-fixture.js";

let dataDir: string;
let actionRepo: string;
let sha: string;
const cleanup: string[] = [];

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "hangar-remote-action-"));
  actionRepo = await makeGitRepo({}, path.join(testdataActions, "pre-post"));
  execFileSync("git", ["-C", actionRepo, "tag", "v1"]);
  sha = execFileSync("git", ["-C", actionRepo, "rev-parse", "HEAD"]).toString().trim();
  cleanup.push(dataDir, actionRepo);
  const added = await runHangar([
    "actions",
    "add",
    "octo-org/pre-post@v1",
    "--from",
    actionRepo,
    "--data-dir",
    dataDir,
  ]);
  assert.equal(added.code, 0, added.stderr);
});
after(() => Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true }))));

const workflow = (ref: string) => `on: push
jobs:
  use:
    runs-on: ubuntu-latest
    steps:
      - run: echo "before the action"
      - id: act
        uses: octo-org/pre-post@${ref}
      - run: echo "between main and post"
`;

test("a stored action runs pre at job start, then main, and post last with pre's and main's state", async () => {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow("v1") });
  cleanup.push(repo);
  const result = await runHangar(["run", ".", "--data-dir", dataDir, "--json"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.split("\n");
  const at = (text: string) => lines.findIndex((line) => line.includes(text));
  // 1. pre before any main step, 2. main sees pre's state, 3. the next step, 4. the post step last.
  assert.ok(at("| pre") >= 0 && at("| pre") < at("| before the action"), result.stderr);
  assert.ok(at("| before the action") < at("main sees pre ran"), result.stderr);
  assert.ok(at("main sees pre ran") < at("| between main and post"), result.stderr);
  assert.ok(at("| between main and post") < at("Post "), result.stderr);
  const run = JSON.parse(result.stdout) as {
    jobs: { steps: { id: string; name: string; conclusion: string }[] }[];
  };
  const steps = run.jobs[0]!.steps;
  assert.equal(steps.length, 5);
  assert.match(steps[0]!.name, /^Pre /);
  assert.match(steps[4]!.name, /^Post /);
  assert.ok(steps.every((step) => step.conclusion === "success"));
});

test("the pinned-SHA policy refuses a tag and accepts the full commit SHA", async () => {
  const byTag = await makeGitRepo({ ".github/workflows/ci.yml": workflow("v1") });
  const bySha = await makeGitRepo({ ".github/workflows/ci.yml": workflow(sha) });
  cleanup.push(byTag, bySha);
  const refused = await runHangar(["run", ".", "--data-dir", dataDir, "--require-pinned-actions"], {
    cwd: byTag,
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /must be pinned to a full-length commit SHA/);
  const accepted = await runHangar(["run", ".", "--data-dir", dataDir, "--require-pinned-actions"], {
    cwd: bySha,
  });
  assert.equal(accepted.code, 0, accepted.stderr);
});

test("offline, an action missing from the store names the command that adds it", async () => {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow("v9") });
  cleanup.push(repo);
  const result = await runHangar(["run", ".", "--data-dir", dataDir, "--offline"], { cwd: repo });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /--offline forbids fetching it/);
  assert.match(
    result.stderr,
    /hangar actions add octo-org\/pre-post@v9 --from https:\/\/github.com\/octo-org\/pre-post.git/,
  );
});

test("a reusable workflow from the store runs as owner/repo/path@ref", async () => {
  const shared = await makeGitRepo({
    ".github/workflows/shared.yml": sayingCalledWorkflow,
  });
  execFileSync("git", ["-C", shared, "tag", "v2"]);
  const caller = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  call:
    uses: octo-org/shared/.github/workflows/shared.yml@v2
    with:
      name: store
  check:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.call.outputs.said }}" = "hi store"
`,
  });
  cleanup.push(shared, caller);
  const added = await runHangar([
    "actions",
    "add",
    "octo-org/shared@v2",
    "--from",
    shared,
    "--data-dir",
    dataDir,
  ]);
  assert.equal(added.code, 0, added.stderr);
  const result = await runHangar(["run", ".", "--data-dir", dataDir, "--json"], { cwd: caller });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { jobs: { key: string; conclusion: string }[] };
  assert.deepEqual(
    run.jobs.map((j) => [j.key, j.conclusion]),
    [
      ["call", "success"],
      ["call / say", "success"],
      ["check", "success"],
    ],
  );
});
