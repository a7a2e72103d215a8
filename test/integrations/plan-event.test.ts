// Tests which workflow files a GitHub event triggers, with workflows read from a real mirror at the pushed commit.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import {
  changedFiles,
  ensureMirror,
  fetchCommit,
  planEvent,
  readWorkflowFiles,
  type EventPlan,
} from "../../src/integrations/github/index.js";
import type { SourceFile } from "../../src/workflow/index.js";
import { makeGitRepo } from "../support/git-repo.js";

const cleanup: string[] = [];
after(() => Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true }))));

const job = "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
const fallback = { sha: "f".repeat(40), ref: "refs/heads/main" };

function file(name: string, content: string): SourceFile {
  return { path: `.github/workflows/${name}`, content };
}

function summarize(plan: EventPlan) {
  return {
    triggered: plan.triggered.map((t) => t.file),
    skipped: plan.skipped.map((s) => s.file),
    invalid: plan.invalid.map((i) => i.file),
  };
}

function pushPayload(ref: string, before: string, afterSha: string) {
  return {
    ref,
    before,
    after: afterSha,
    repository: { full_name: "octo-org/octo-repo", default_branch: "main" },
  };
}

test("a push to a matching branch triggers the workflows whose filters pass, with the push's sha and ref", async () => {
  const repo = await makeGitRepo({
    ".github/workflows/main-only.yml": `on:\n  push:\n    branches: [main]\n${job}`,
    ".github/workflows/releases.yml": `on:\n  push:\n    branches: ['release/**']\n${job}`,
    ".github/workflows/tags.yml": `on:\n  push:\n    tags: ['v*']\n${job}`,
    ".github/workflows/prs.yml": `on: pull_request\n${job}`,
  });
  cleanup.push(repo);
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  const mirror = path.join(await mkdtemp(path.join(os.tmpdir(), "hangar-mirror-")), "repo.git");
  cleanup.push(path.dirname(mirror));
  await ensureMirror(mirror, repo);
  await fetchCommit(mirror, sha, "refs/heads/main");

  const plan = await planEvent({
    event: "push",
    payload: pushPayload("refs/heads/main", "0".repeat(40), sha),
    files: await readWorkflowFiles(mirror, sha),
    changedFiles: await changedFiles(mirror, "0".repeat(40), sha),
    fallback,
  });
  assert.deepEqual(summarize(plan), {
    triggered: [".github/workflows/main-only.yml"],
    skipped: [".github/workflows/prs.yml", ".github/workflows/releases.yml", ".github/workflows/tags.yml"],
    invalid: [],
  });
  assert.equal(plan.sha, sha);
  assert.equal(plan.ref, "refs/heads/main");
  assert.equal(plan.triggered[0]!.workflow.jobs[0]!.id, "build");
  assert.deepEqual(plan.triggered[0]!.inputs, {});
  assert.match(plan.skipped.find((s) => s.file.endsWith("releases.yml"))!.reason, /branch 'main'/);
});

test("path filters are matched against the files the push changed", async () => {
  const files = [
    file("docs.yml", `on:\n  push:\n    paths: ['docs/**']\n${job}`),
    file("code.yml", `on:\n  push:\n    paths-ignore: ['docs/**']\n${job}`),
  ];
  const payload = pushPayload("refs/heads/main", "a".repeat(40), "b".repeat(40));
  const docsOnly = await planEvent({
    event: "push",
    payload,
    files,
    changedFiles: ["docs/guide.md"],
    fallback,
  });
  assert.deepEqual(summarize(docsOnly).triggered, [".github/workflows/docs.yml"]);
  const both = await planEvent({
    event: "push",
    payload,
    files,
    changedFiles: ["docs/guide.md", "src/app.ts"],
    fallback,
  });
  assert.deepEqual(summarize(both).triggered, [".github/workflows/docs.yml", ".github/workflows/code.yml"]);
  // Unknown changes (a new branch): docs "Git diff comparisons" say the workflow runs.
  const unknown = await planEvent({ event: "push", payload, files, changedFiles: undefined, fallback });
  assert.equal(unknown.triggered.length, 2);
});

test("a broken workflow is reported with file:line:col while the others are still triggered", async () => {
  const plan = await planEvent({
    event: "push",
    payload: pushPayload("refs/heads/main", "a".repeat(40), "b".repeat(40)),
    files: [
      file("good.yml", `on: push\n${job}`),
      file(
        "bad.yml",
        `on: push\n${job}  test:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: echo\n`,
      ),
      file("broken-yaml.yml", "on: push\njobs: [\n"),
    ],
    fallback,
  });
  assert.deepEqual(summarize(plan), {
    triggered: [".github/workflows/good.yml"],
    skipped: [],
    invalid: [".github/workflows/bad.yml", ".github/workflows/broken-yaml.yml"],
  });
  const bad = plan.invalid[0]!.diagnostics[0]!;
  assert.equal(bad.code, "WF_NEEDS_UNKNOWN");
  assert.equal(bad.file, ".github/workflows/bad.yml");
  assert.deepEqual(bad.start, { line: 9, column: 13 });
  assert.equal(plan.invalid[1]!.diagnostics[0]!.code, "WF_YAML");
});

const dispatchWorkflow = `on:
  workflow_dispatch:
    inputs:
      environment:
        type: choice
        options: [staging, production]
        required: true
      dry-run:
        type: boolean
        default: true
      replicas:
        type: number
        default: 2
${job}`;

function dispatchPayload(inputs: Record<string, unknown> | null) {
  return {
    ref: "refs/heads/main",
    workflow: ".github/workflows/deploy.yml",
    inputs,
    repository: { full_name: "octo-org/octo-repo" },
  };
}

test("workflow_dispatch triggers only the dispatched workflow, with typed inputs", async () => {
  const plan = await planEvent({
    event: "workflow_dispatch",
    payload: dispatchPayload({ environment: "production", "dry-run": "false" }),
    files: [file("deploy.yml", dispatchWorkflow), file("other.yml", `on: workflow_dispatch\n${job}`)],
    fallback,
  });
  assert.deepEqual(summarize(plan), {
    triggered: [".github/workflows/deploy.yml"],
    skipped: [".github/workflows/other.yml"],
    invalid: [],
  });
  assert.deepEqual(plan.triggered[0]!.inputs, { environment: "production", "dry-run": false, replicas: 2 });
  assert.equal(plan.ref, "refs/heads/main");
  // The dispatch payload names a ref, not a commit: the sha is the caller's resolution of it.
  assert.equal(plan.sha, fallback.sha);
});

test("workflow_dispatch with bad inputs reports INPUT_INVALID at on.workflow_dispatch.inputs", async () => {
  const plan = await planEvent({
    event: "workflow_dispatch",
    payload: dispatchPayload({ environment: "moon", replicas: "many", colour: "red" }),
    files: [file("deploy.yml", dispatchWorkflow)],
    fallback,
  });
  assert.deepEqual(summarize(plan), {
    triggered: [],
    skipped: [],
    invalid: [".github/workflows/deploy.yml"],
  });
  const diagnostics = plan.invalid[0]!.diagnostics;
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.message, d.start.line, d.start.column]),
    [
      ["INPUT_INVALID", "input 'colour' is not defined by on.workflow_dispatch.inputs", 4, 7],
      ["INPUT_INVALID", "input 'environment' must be one of staging, production, got 'moon'", 4, 7],
      ["INPUT_INVALID", "input 'replicas' must be a number, got 'many'", 4, 7],
    ],
  );

  const missing = await planEvent({
    event: "workflow_dispatch",
    payload: dispatchPayload(null),
    files: [file("deploy.yml", dispatchWorkflow)],
    fallback,
  });
  assert.deepEqual(
    missing.invalid[0]!.diagnostics.map((d) => d.message),
    ["input 'environment' is required"],
  );
});

test("schedule runs on the default branch and matches the payload's cron entry", async () => {
  const files = [
    file("nightly.yml", `on:\n  schedule:\n    - cron: '0 3 * * *'\n${job}`),
    file("hourly.yml", `on:\n  schedule:\n    - cron: '0 * * * *'\n${job}`),
  ];
  const plan = await planEvent({ event: "schedule", payload: { schedule: "0 3 * * *" }, files, fallback });
  assert.deepEqual(summarize(plan), {
    triggered: [".github/workflows/nightly.yml"],
    skipped: [".github/workflows/hourly.yml"],
    invalid: [],
  });
  assert.deepEqual({ sha: plan.sha, ref: plan.ref }, fallback);
});
