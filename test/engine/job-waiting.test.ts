// job:waiting: the engine says why a job has not started yet (unfinished needs, a taken concurrency group), and the
// job's next event follows the wait.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadWorkflow, type WorkflowModel } from "../../src/workflow/index.js";
import { createTestExecutor } from "../support/test-executor.js";
import {
  ConcurrencyGroups,
  newRunId,
  runWorkflow,
  type RunEvents,
  type RunHandle,
} from "../../src/engine/index.js";

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-waiting-"));
const executor = await createTestExecutor(base);
after(() => rm(base, { recursive: true, force: true }));

async function load(content: string): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "ci.yml", content });
  assert.ok(result.workflow, JSON.stringify(result.diagnostics));
  return result.workflow;
}

function start(workflow: WorkflowModel, groups?: ConcurrencyGroups): RunHandle {
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

/** Every job event in order, as `event key [detail]`. */
function journal(handle: RunHandle): string[] {
  const seen: string[] = [];
  handle.on("job:waiting", (wait: RunEvents["job:waiting"]) =>
    seen.push(`waiting ${wait.job.key} ${wait.reason} ${String(wait.detail)}`),
  );
  handle.on("job:started", ({ job }) => seen.push(`started ${job.key}`));
  handle.on("job:finished", ({ job }) => seen.push(`finished ${job.key}`));
  return seen;
}

test("a job waits for its unfinished needs, and a matrix job is named by its own key until it expands", async () => {
  const handle = start(
    await load(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: echo linted
  test:
    needs: [build, lint]
    strategy:
      matrix:
        node: [20]
    runs-on: ubuntu-latest
    steps:
      - run: echo tested
`),
  );
  const seen = journal(handle);
  assert.equal((await handle.result).conclusion, "success");
  // 1. test waits for both needs before either finishes, 2. its matrix instance starts only after both finished.
  assert.equal(seen[0], "waiting test needs build,lint");
  assert.equal(seen.filter((line) => line.startsWith("waiting")).length, 1);
  const started = seen.indexOf("started test (20)");
  assert.ok(
    started > seen.indexOf("finished build") && started > seen.indexOf("finished lint"),
    seen.join("\n"),
  );
});

test("a run whose workflow group is taken says each of its jobs waits for that group", async () => {
  const workflow = await load(`on: push
concurrency: deploy-\${{ github.ref }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo started; sleep 30
`);
  const groups = new ConcurrencyGroups();
  const first = start(workflow, groups);
  await new Promise<void>((resolve) =>
    first.on("log:line", ({ line }) => line.text === "started" && resolve()),
  );
  const second = start(workflow, groups);
  const waiting = new Promise<RunEvents["job:waiting"]>((resolve) => second.on("job:waiting", resolve));
  const wait = await waiting;
  assert.deepEqual(
    [wait.job.key, wait.reason, wait.detail],
    ["deploy", "concurrency", "deploy-refs/heads/main"],
  );
  second.cancel();
  first.cancel();
  await Promise.all([first.result, second.result]);
});
