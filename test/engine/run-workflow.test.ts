// The engine's typed API as the server will use it: events in order, results, cancel through the handle.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadWorkflow, type WorkflowModel } from "../../src/workflow/index.js";
import { createTestExecutor } from "../support/test-executor.js";
import { newRunId, runWorkflow, type RunEventName, type RunOptions } from "../../src/engine/index.js";

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-engine-"));
const executor = await createTestExecutor(base);
after(() => rm(base, { recursive: true, force: true }));

async function load(content: string): Promise<WorkflowModel> {
  const result = await loadWorkflow({ path: "engine.yml", content });
  assert.ok(result.workflow, JSON.stringify(result.diagnostics));
  return result.workflow;
}

function options(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    executor,
    dataDir: base,
    identity: {
      runId: newRunId(),
      runNumber: 7,
      attempt: 1,
      actor: "octocat",
      sha: "a".repeat(40),
      ref: "refs/heads/main",
      repository: { owner: "octo-org", name: "octo-repo" },
      serverUrl: "https://github.com",
    },
    event: { name: "push", payload: { ref: "refs/heads/main" } },
    baseEnv: { PATH: process.env["PATH"] ?? "" },
    ...overrides,
  } as RunOptions;
}

test("a run emits its events in order and returns a typed result", async () => {
  const workflow = await load(`on: push
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.say.outputs.word }}
    steps:
      - id: say
        run: |
          echo hello
          echo "word=bird" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ needs.first.outputs.word }} from run \${{ github.run_number }}"
`);
  const handle = runWorkflow(workflow, options());
  const seen: string[] = [];
  const lines: string[] = [];
  const names: RunEventName[] = [
    "run:started",
    "job:started",
    "step:started",
    "step:finished",
    "job:finished",
    "run:finished",
  ];
  for (const name of names) handle.on(name, () => seen.push(name));
  handle.on("log:line", ({ job, line }) => lines.push(`${job.key}: ${line.text}`));
  const result = await handle.result;

  assert.equal(result.conclusion, "success");
  assert.deepEqual(
    result.jobs.map((j) => [j.key, j.conclusion, j.outputs]),
    [
      ["first", "success", { word: "bird" }],
      ["second", "success", {}],
    ],
  );
  assert.deepEqual(lines, ["first: hello", "second: bird from run 7"]);
  // 1. the run starts, 2. each job wraps its steps, 3. the run finishes last.
  assert.deepEqual(seen, [
    "run:started",
    "job:started",
    "step:started",
    "step:finished",
    "job:finished",
    "job:started",
    "step:started",
    "step:finished",
    "job:finished",
    "run:finished",
  ]);
});

test("cancel() through the handle stops a running step and skips the jobs after it", async () => {
  const workflow = await load(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: echo begin; sleep 30
  later:
    needs: slow
    runs-on: ubuntu-latest
    steps:
      - run: echo never
`);
  const handle = runWorkflow(workflow, options());
  handle.on("log:line", ({ line }) => {
    if (line.text === "begin") handle.cancel();
  });
  const result = await handle.result;
  assert.equal(result.conclusion, "cancelled");
  assert.deepEqual(
    result.jobs.map((j) => [j.key, j.conclusion]),
    [
      ["slow", "cancelled"],
      ["later", "skipped"],
    ],
  );
});

test("secrets given to the engine never reach an event", async () => {
  const workflow = await load(`on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    steps:
      - name: uses \${{ secrets.TOKEN }}
        run: echo "\${{ secrets.TOKEN }}" && echo "::error::\${{ secrets.TOKEN }}"
`);
  const handle = runWorkflow(workflow, options({ secrets: { TOKEN: "tok-3e1a9c" } }));
  const payloads: string[] = [];
  for (const name of ["step:started", "step:finished", "log:line", "job:finished"] as const) {
    handle.on(name, (payload) => payloads.push(JSON.stringify(payload)));
  }
  const result = await handle.result;
  assert.equal(result.conclusion, "success");
  assert.ok(payloads.length > 3);
  assert.ok(
    payloads.every((p) => !p.includes("tok-3e1a9c")),
    payloads.join("\n"),
  );
  assert.ok(payloads.some((p) => p.includes("***")));
});

test("re-running failed jobs keeps the jobs that succeeded, with their outputs, and runs the rest", async () => {
  const workflow = await load(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      artifact: \${{ steps.b.outputs.artifact }}
    steps:
      - id: b
        run: echo "this must not run again" && exit 1
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: echo lint ran
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.build.outputs.artifact }}" = app-1.2.3
  deploy:
    needs: [test, lint]
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy ran
`);
  const handle = runWorkflow(
    workflow,
    options({ reuseJobs: { build: { outputs: { artifact: "app-1.2.3" } }, deploy: { outputs: {} } } }),
  );
  const lines: string[] = [];
  handle.on("log:line", ({ line }) => lines.push(line.text));
  const result = await handle.result;
  assert.equal(result.conclusion, "success");
  assert.deepEqual(
    result.jobs.map((j) => [j.key, j.conclusion, j.steps.length]),
    [
      ["build", "success", 0],
      ["lint", "success", 1],
      ["test", "success", 1],
      ["deploy", "success", 1],
    ],
  );
  // deploy succeeded before too, but it needs jobs that ran again, so it runs again.
  assert.ok(lines.includes("deploy ran"));
  assert.ok(!lines.some((line) => line.includes("must not run again")));
});

test("a called workflow's required secret is found whatever its case, as GitHub's secret names are", async () => {
  // A server stores secret names upper-cased; the called workflow asks for `token`.
  const called = `on:
  workflow_call:
    secrets:
      token:
        required: true
jobs:
  use:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ secrets.token }}" = sekrit
`;
  const workflow = await load(`on: push
jobs:
  call:
    uses: ./.github/workflows/called.yml
    secrets: inherit
`);
  const handle = runWorkflow(
    workflow,
    options({
      secrets: { TOKEN: "sekrit" },
      readCalledWorkflow: async (uses) => ({ path: uses.slice(2), content: called }),
    }),
  );
  const result = await handle.result;
  assert.deepEqual(
    result.jobs.map((j) => [j.key, j.conclusion, j.message]),
    [
      ["call", "success", undefined],
      ["call / use", "success", undefined],
    ],
  );
});
