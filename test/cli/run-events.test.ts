// `hangar run --event NAME` without `-e` generates GitHub's webhook payload from git (docs "Webhook events and
// payloads"), so default activity types and filters match; `-e`'s `inputs` feed workflow_dispatch.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { runHangar } from "../support/hangar-cli.js";
import { makeGitRepo } from "../support/git-repo.js";

let repo: string;

const workflows: Record<string, string> = {
  // Docs "pull_request" payload: action, number, pull_request.head (the branch with the changes) and base.
  ".github/workflows/pr.yml": `on:
  pull_request:
    branches: [main]
  pull_request_target:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "\${{ github.event.action }}" = opened
          test "\${{ github.event.number }}" = 1
          test "\${{ github.event.pull_request.number }}" = 1
          test "\${{ github.event.pull_request.head.ref }}" = feature
          test "\${{ github.event.pull_request.head.sha }}" = "$(git rev-parse HEAD)"
          test "\${{ github.event.pull_request.base.ref }}" = main
          test "\${{ github.event.pull_request.base.sha }}" = "$(git rev-parse main)"
          test "\${{ github.event.repository.full_name }}" = octo-org/octo-repo
          test "\${{ github.event.repository.default_branch }}" = main
          test "\${{ github.head_ref }}" = feature
          test "\${{ github.base_ref }}" = main
`,
  // Docs "issue_comment" payload: action created, the issue and the comment.
  ".github/workflows/comment.yml": `on:
  issue_comment:
    types: [created]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ github.event.action }}/\${{ github.event.issue.number }}" = created/1
`,
  // Docs "release" payload: action published; a workflow listening only to created gets created.
  ".github/workflows/release.yml": `on:
  release:
    types: [created]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ github.event.action }}" = created && test -n "\${{ github.event.release.tag_name }}"
`,
  // Docs "workflow_run" payload: action completed, workflow_run.name the triggering workflow's.
  ".github/workflows/after-ci.yml": `on:
  workflow_run:
    workflows: [CI]
    types: [completed]
    branches: [feature]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ github.event.workflow_run.name }}/\${{ github.event.workflow_run.head_branch }}" = CI/feature
`,
  ".github/workflows/dispatch.yml": `on:
  workflow_dispatch:
    inputs:
      name:
        required: true
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ inputs.name }}/\${{ github.event.inputs.name }}" = from-e/from-e
`,
};

before(async () => {
  repo = await makeGitRepo(workflows);
  execFileSync("git", ["-C", repo, "checkout", "-q", "-b", "feature"]);
  await writeFile(path.join(repo, "change.txt"), "a change on the branch\n");
  execFileSync("git", ["-C", repo, "add", "change.txt"]);
  execFileSync("git", ["-C", repo, "commit", "-q", "-m", "change"]);
});
after(() => rm(repo, { recursive: true, force: true }));

async function jobsRun(args: string[]): Promise<string[]> {
  const result = await runHangar(["run", ".", "--json", ...args], { cwd: repo });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const parsed = JSON.parse(result.stdout) as { workflow: string } | { workflow: string }[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map((run) => path.basename(run.workflow));
}

test("--event pull_request: action opened, head the current branch and SHA, base the default branch", async () => {
  assert.deepEqual(await jobsRun(["--event", "pull_request"]), ["pr.yml"]);
});

test("--event pull_request_target runs with the same generated pull request", async () => {
  assert.deepEqual(await jobsRun(["--event", "pull_request_target"]), ["pr.yml"]);
});

test("--event issue_comment: a created comment on issue 1", async () => {
  assert.deepEqual(await jobsRun(["--event", "issue_comment"]), ["comment.yml"]);
});

test("--event release: a workflow listening only to 'created' gets that activity type", async () => {
  assert.deepEqual(await jobsRun(["--event", "release"]), ["release.yml"]);
});

test("--event workflow_run: a completed run of the workflow the filter names, on this branch", async () => {
  assert.deepEqual(await jobsRun(["--event", "workflow_run"]), ["after-ci.yml"]);
});

test("-e's inputs feed workflow_dispatch inputs, without --event", async () => {
  const payload = path.join(repo, "..", `${path.basename(repo)}-event.json`);
  await writeFile(payload, JSON.stringify({ inputs: { name: "from-e" } }));
  try {
    assert.deepEqual(await jobsRun(["-e", payload]), ["dispatch.yml"]);
  } finally {
    await rm(payload, { force: true });
  }
});
