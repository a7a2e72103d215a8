// `environment:` in the engine: without a gate (hangar run) the job runs and its url is evaluated after its steps;
// with a gate, the job waits (job:waiting reason approval), runs once allowed and reports how it ended, or fails
// with the gate's reason while the jobs that need it are skipped.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadWorkflow, type WorkflowModel } from "../../src/workflow/index.js";
import { createTestExecutor } from "../support/test-executor.js";
import { newRunId, runWorkflow, type GateJob, type RunEvents } from "../../src/engine/index.js";

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-gate-"));
const executor = await createTestExecutor(base);
after(() => rm(base, { recursive: true, force: true }));

const workflowText = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment:
      name: \${{ github.ref_name == 'main' && 'production' || 'staging' }}
      url: https://\${{ steps.ship.outputs.host }}/app
    steps:
      - id: ship
        run: echo "host=prod.example.test" >> "$GITHUB_OUTPUT"
  after:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: echo after
`;

async function load(): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "deploy.yml", content: workflowText });
  assert.ok(result.workflow, JSON.stringify(result.diagnostics));
  return result.workflow;
}

function start(workflow: WorkflowModel, gateJob?: GateJob) {
  return runWorkflow(workflow, {
    executor,
    dataDir: base,
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
    event: { name: "push", payload: { ref: "refs/heads/main" } },
    baseEnv: { PATH: process.env["PATH"] ?? "" },
    ...(gateJob ? { gateJob } : {}),
  });
}

test("without a gate the job runs in its environment and its url uses a step output", async () => {
  const result = await start(await load()).result;
  assert.equal(result.conclusion, "success");
  const deploy = result.jobs.find((job) => job.jobId === "deploy");
  assert.deepEqual(deploy?.environment, { name: "production", url: "https://prod.example.test/app" });
});

test("a gate makes the job wait, lets it run, and hears how it ended", async () => {
  const calls: string[] = [];
  const gate: GateJob = async ({ job, environment }, { onWaiting }) => {
    calls.push(`gate ${job.key} ${environment.name}`);
    onWaiting(["reviewers"]);
    return {
      allowed: true,
      afterJob: async (deployed) => void calls.push(`after ${deployed.conclusion} ${deployed.url}`),
    };
  };
  const handle = start(await load(), gate);
  const waits: RunEvents["job:waiting"][] = [];
  handle.on("job:waiting", (wait) => waits.push(wait));
  handle.on("job:finished", ({ job }) => calls.push(`finished ${job.key}`));
  const result = await handle.result;
  assert.equal(result.conclusion, "success");
  // 1. the gate, 2. the deployment before 3. job:finished, 4. then what needs it.
  assert.deepEqual(calls, [
    "gate deploy production",
    "after success https://prod.example.test/app",
    "finished deploy",
    "finished after",
  ]);
  assert.deepEqual(
    waits.filter((w) => w.reason === "approval").map((w) => [w.job.key, w.detail]),
    [["deploy", { environment: "production", waitingFor: ["reviewers"] }]],
  );
});

test("a refusal fails the job with the gate's reason and skips the jobs that need it", async () => {
  const reason = 'Branch "main" is not allowed to deploy to production due to environment protection rules.';
  const result = await start(await load(), async () => ({ allowed: false, reason })).result;
  assert.equal(result.conclusion, "failure");
  assert.deepEqual(
    result.jobs.map((job) => [job.key, job.conclusion, job.message ?? job.reason ?? ""]),
    [
      ["deploy", "failure", reason],
      ["after", "skipped", "dependency_failed"],
    ],
  );
});
