// concurrency: across runs, as a server shares one set of groups: cancel-in-progress, and the newest pending wins.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadWorkflow, type WorkflowModel } from "../../src/workflow/index.js";
import { createTestExecutor } from "../support/test-executor.js";
import { ConcurrencyGroups, newRunId, runWorkflow, type RunHandle } from "../../src/engine/index.js";

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-concurrency-"));
const executor = await createTestExecutor(base);
after(() => rm(base, { recursive: true, force: true }));

async function load(cancelInProgress: boolean): Promise<WorkflowModel> {
  const result = await loadWorkflow({
    path: "deploy.yml",
    content: `on: push
concurrency:
  group: deploy-\${{ github.ref }}
  cancel-in-progress: ${cancelInProgress}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo started; sleep 30
`,
  });
  assert.ok(result.workflow, JSON.stringify(result.diagnostics));
  return result.workflow;
}

function start(workflow: WorkflowModel, groups: ConcurrencyGroups): RunHandle {
  return runWorkflow(workflow, {
    executor,
    dataDir: base,
    concurrencyGroups: groups,
    identity: {
      runId: newRunId(),
      runNumber: 1,
      attempt: 1,
      actor: "octocat",
      sha: "b".repeat(40),
      ref: "refs/heads/main",
      repository: { owner: "octo-org", name: "octo-repo" },
      serverUrl: "https://github.com",
    },
    event: { name: "push", payload: {} },
    baseEnv: { PATH: process.env["PATH"] ?? "" },
  });
}

function started(handle: RunHandle): Promise<void> {
  return new Promise((resolve) => handle.on("log:line", ({ line }) => line.text === "started" && resolve()));
}

test("cancel-in-progress: a newer run cancels the running one in its group", async () => {
  const groups = new ConcurrencyGroups();
  const first = start(await load(true), groups);
  await started(first);
  const second = start(await load(true), groups);
  await started(second);
  second.cancel();
  assert.equal((await first.result).conclusion, "cancelled");
  assert.equal((await second.result).jobs[0]!.conclusion, "cancelled");
});

test("without cancel-in-progress the newest pending run wins and the older pending one is cancelled unstarted", async () => {
  const groups = new ConcurrencyGroups();
  const workflow = await load(false);
  const first = start(workflow, groups);
  await started(first);
  const second = start(workflow, groups);
  const third = start(workflow, groups);
  // 1. the second waited and was replaced: cancelled without any job, 2. the first still runs until cancelled,
  // 3. then the third starts.
  const secondResult = await second.result;
  assert.deepEqual([secondResult.conclusion, secondResult.jobs.length], ["cancelled", 0]);
  first.cancel();
  assert.equal((await first.result).conclusion, "cancelled");
  await started(third);
  third.cancel();
  assert.equal((await third.result).jobs[0]!.conclusion, "cancelled");
});
