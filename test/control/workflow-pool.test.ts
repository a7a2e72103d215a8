// The workflow pool plans each file in a worker within its time limit: a plan that runs past it is ended (its worker
// terminated, a new one takes the next file) and reported as a diagnostic, and the other files are planned as usual.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWorkflowPool } from "../../src/control/workflow-pool/index.js";
import { formatDiagnostic, type SourceFile } from "../../src/workflow/index.js";
import { aliasBomb } from "../support/alias-bomb.js";

const job = "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
const sha = "a".repeat(40);
const fallback = { sha, ref: "refs/heads/main" };
const pullRequest = {
  action: "opened",
  number: 1,
  pull_request: {
    number: 1,
    merge_commit_sha: sha,
    head: { sha, ref: "feature" },
    base: { sha, ref: "main" },
  },
  repository: { full_name: "octo-org/octo-repo" },
};

function file(name: string, content: string): SourceFile {
  return { path: `.github/workflows/${name}`, content };
}

// Each `*` before an `a` may take any share of the changed file's name: matching backtracks through 2^n splits, so
// this one plan runs for hours.
const backtracking = file("paths.yml", `on:\n  pull_request:\n    paths: ['${"*a".repeat(12)}*b']\n${job}`);
const plain = file("plain.yml", `on: pull_request\n${job}`);

test("a plan past the time limit is ended and reported; the files after it are planned on new workers", async (t) => {
  const pool = createWorkflowPool({ timeLimitMs: 1_000 });
  t.after(() => pool.close());
  const started = performance.now();
  // Two of them hold both workers, so the plain file is planned only once a worker was ended and replaced.
  const plan = await pool.planEvent({
    event: "pull_request",
    payload: pullRequest,
    files: [backtracking, { ...backtracking, path: ".github/workflows/paths-again.yml" }, plain],
    changedFiles: ["a".repeat(50)],
    fallback,
  });
  t.diagnostic(`planned in ${Math.round(performance.now() - started)} ms`);
  assert.deepEqual(
    plan.invalid.map((invalid) => invalid.diagnostics.map(formatDiagnostic)),
    ["paths.yml", "paths-again.yml"].map((name) => [
      `.github/workflows/${name}:1:1: error WF_TOO_COMPLEX: reading and planning it took longer than the limit of 1,000 ms`,
    ]),
  );
  assert.deepEqual(
    plan.triggered.map((triggered) => [triggered.file, triggered.workflow.jobs.map((j) => j.id)]),
    [[".github/workflows/plain.yml", ["build"]]],
  );
  assert.deepEqual([plan.sha, plan.ref], [sha, "refs/pull/1/merge"]);
});

test("schedules are read in a worker, and an alias bomb among them is reported by its limit", async (t) => {
  const pool = createWorkflowPool();
  t.after(() => pool.close());
  const nightly = await pool.readSchedules(
    file("nightly.yml", `on:\n  schedule:\n    - cron: "0 3 * * *"\n${job}`),
  );
  assert.deepEqual(nightly, { schedules: [{ cron: "0 3 * * *" }], diagnostics: [] });
  const bomb = await pool.readSchedules(file("lol.yml", aliasBomb('  schedule:\n    - cron: "0 3 * * *"')));
  assert.deepEqual(bomb.schedules, []);
  assert.deepEqual(bomb.diagnostics.map(formatDiagnostic), [
    ".github/workflows/lol.yml:11:23: error WF_TOO_COMPLEX: alias *lol4 expands the file past the limit of 50,000 YAML nodes",
  ]);
});
