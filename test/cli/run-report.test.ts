// What `hangar run` reports: jobs for another OS skipped with the reason, a failed job's first failing step and exit
// code, GITHUB_STEP_SUMMARY, `-W` against REPO_DIR, and `--list` with matrices and called workflows expanded.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { runHangar } from "../support/hangar-cli.js";
import { makeGitRepo } from "../support/git-repo.js";

let repo: string;

before(async () => {
  repo = await makeGitRepo({
    ".github/workflows/oses.yml": `on: push
jobs:
  linux:
    runs-on: ubuntu-latest
    steps:
      - run: echo on linux
  mac:
    runs-on: macos-14
    steps:
      - run: echo never here
  windows:
    runs-on: [windows-latest]
    steps:
      - run: echo mapped
`,
    ".github/workflows/fails.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: write a summary
        run: |
          echo "## Coverage" >> "$GITHUB_STEP_SUMMARY"
          echo "- 93% of lines" >> "$GITHUB_STEP_SUMMARY"
      - name: first failure
        run: exit 3
      - name: later failure
        if: always()
        uses: ./.github/actions/missing
`,
    ".github/workflows/matrix.yml": `on: push
jobs:
  test:
    strategy:
      matrix:
        node: [20, 22]
        os: [ubuntu-latest]
    runs-on: \${{ matrix.os }}
    steps:
      - run: echo test
  call:
    uses: ./.github/workflows/called.yml
`,
    ".github/workflows/called.yml": `on: workflow_call
jobs:
  inner:
    strategy:
      matrix:
        leg: [a, b]
    runs-on: ubuntu-latest
    steps:
      - run: echo inner
`,
  });
});
after(() => rm(repo, { recursive: true, force: true }));

interface Run {
  conclusion: string;
  jobs: { key: string; conclusion: string; message?: string; summary?: string }[];
}

test("a job for macOS or Windows is skipped with the reason; --label-map runs it here", async () => {
  // Run from elsewhere: -W is a path relative to REPO_DIR.
  const table = await runHangar(["run", repo, "-W", ".github/workflows/oses.yml"], {
    cwd: path.dirname(repo),
  });
  assert.equal(table.code, 0, table.stderr);
  assert.match(
    table.stdout,
    /mac\s+skipped\s+-\s+no runner for macos-14; --label-map macos-14=host runs it here/,
  );
  assert.match(table.stdout, /windows\s+skipped\s+-\s+no runner for windows-latest/);
  assert.doesNotMatch(table.stderr, /never here/);

  const json = await runHangar(
    ["run", repo, "-W", "oses.yml", "--json", "--label-map", "windows-latest=host"],
    {
      cwd: path.dirname(repo),
    },
  );
  assert.equal(json.code, 0, json.stderr);
  const run = JSON.parse(json.stdout) as Run;
  assert.deepEqual(
    run.jobs.map((job) => [job.key, job.conclusion, job.message]),
    [
      ["linux", "success", undefined],
      ["mac", "skipped", "no runner for macos-14; --label-map macos-14=host runs it here"],
      ["windows", "success", undefined],
    ],
  );
});

test("a failed job's reason is its first failing step and exit code; its step summary is shown", async () => {
  const table = await runHangar(["run", ".", "-W", "fails.yml"], { cwd: repo });
  assert.equal(table.code, 1, table.stderr);
  assert.match(
    table.stdout,
    /build\s+failure\s+\S+\s+step 'first failure' failed: Process completed with exit code 3\./,
  );
  assert.match(table.stdout, /── summary of build ──\n## Coverage\n- 93% of lines/);

  const json = await runHangar(["run", ".", "-W", "fails.yml", "--json"], { cwd: repo });
  const run = JSON.parse(json.stdout) as Run;
  assert.equal(run.jobs[0]!.message, "step 'first failure' failed: Process completed with exit code 3.");
  assert.equal(run.jobs[0]!.summary, "## Coverage\n- 93% of lines\n");
});

test("-W names no file: a usage error saying where it looked", async () => {
  const result = await runHangar(["run", repo, "-W", "nope.yml"], { cwd: path.dirname(repo) });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /-W nope\.yml: no such workflow file/);
});

test("--list expands matrices and a called workflow's jobs into the instances that would run", async () => {
  const result = await runHangar(["run", ".", "-W", "matrix.yml", "--list"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  const keys = result.stdout
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split("\t")[1]);
  assert.deepEqual(keys, [
    "test (20, ubuntu-latest)",
    "test (22, ubuntu-latest)",
    "call",
    "call / inner (a)",
    "call / inner (b)",
  ]);
});
