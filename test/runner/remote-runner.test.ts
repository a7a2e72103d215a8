// End to end: the engine dispatches through the queue, a remote runner (in this process, or the real CLI) claims
// over loopback HTTP and runs the jobs, and the logs and step events come back through the engine's events.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import Fastify from "fastify";
import { runWorkflow, type RunHandle } from "../../src/engine/index.js";
import { HostExecutor, type RunnerHost } from "../../src/runner/index.js";
import { runnerLoop } from "../../src/runner/remote/index.js";
import { createQueueDispatch } from "../../src/control/queue-dispatch.js";
import { JobActivity } from "../../src/control/index.js";
import { runnerProtocolPlugin } from "../../src/server/runner-protocol/index.js";
import {
  getJobLogs,
  getRun,
  mintRegistrationToken,
  registerRunner,
  type Store,
} from "../../src/store/index.js";
import { loadWorkflow } from "../../src/workflow/index.js";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "../store/test-stores.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** `hangar runner ...` in a child process, through runnerCommand (the CLI entry until main.ts lists `runner`). */
function runRunnerCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const script = `import(${JSON.stringify(path.join(root, "src/cli/commands/runner.ts"))})
    .then((m) => m.runnerCommand(${JSON.stringify(args)}))
    .then((code) => { process.exitCode = code; }, (error) => { console.error(error); process.exitCode = 3; });`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", path.join(root, "scripts/register.mjs"), "--input-type=module", "-e", script],
      { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-remote-"));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await rm(base, { recursive: true, force: true });
});

const workflowText = `on: push
jobs:
  first:
    runs-on: [self-hosted, linux]
    outputs:
      word: \${{ steps.say.outputs.word }}
    steps:
      - id: say
        run: |
          echo "hello from the runner"
          echo "::group::details"
          echo "inside the group"
          echo "::endgroup::"
          echo "to stderr" >&2
          echo "word=bird" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: self-hosted
    steps:
      - run: test "\${{ needs.first.outputs.word }}" = bird && echo "got \${{ needs.first.outputs.word }}"
`;

interface Server {
  store: Store;
  repositoryId: number;
  url: string;
  activity: JobActivity;
}

async function startServer(dialect: (typeof DIALECTS)[number]): Promise<Server> {
  const { store, repositoryId } = await openStoreWithRepository(dialect);
  const activity = new JobActivity();
  // Runners keep connections open (long-polls, pooled sockets): close them instead of waiting for their timeouts.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(runnerProtocolPlugin, { store, activity, leaseMs: 3_000 });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => app.close());
  return { store, repositoryId, url, activity };
}

async function registerTestRunner(store: Store, labels: string[]): Promise<string> {
  const { token } = await mintRegistrationToken(store);
  const registered = await registerRunner(store, { registrationToken: token, name: "test-runner", labels });
  assert.ok(registered);
  return registered.runnerToken;
}

function runnerHost(): RunnerHost {
  return {
    executor: new HostExecutor({ baseDir: path.join(base, "runner-jobs") }),
    dataDir: base,
    baseEnv: { PATH: process.env["PATH"] ?? "" },
    runnerName: "test-runner",
    stepDebug: false,
  };
}

/** Starts the workflow through the queue dispatch, as `hangar serve` does, and records what the engine emits. */
async function startQueuedRun(server: Server, text = workflowText) {
  const loaded = await loadWorkflow({ path: ".github/workflows/ci.yml", content: text });
  assert.ok(loaded.workflow, JSON.stringify(loaded.diagnostics));
  const { run } = await insertTestRun(server.store, server.repositoryId);
  const handle = runWorkflow(loaded.workflow, {
    dataDir: base,
    identity: {
      runId: String(run.id),
      runNumber: run.runNumber,
      attempt: 1,
      actor: "octocat",
      sha: run.sha,
      ref: run.ref,
      repository: { owner: "octo", name: "app" },
      serverUrl: "https://github.com",
    },
    event: { name: "push", payload: {} },
    baseEnv: { PATH: process.env["PATH"] ?? "" },
    dispatchJob: createQueueDispatch(server.store, { activity: server.activity }),
  });
  // A failed test must not leave a run waiting for a runner (and the process alive).
  closers.push(async () => {
    handle.cancel();
    await handle.result;
  });
  const seen: string[] = [];
  handle.on("step:started", ({ step }) => seen.push(`${step.job.key} step:started ${step.name}`));
  handle.on("step:finished", ({ step, conclusion }) =>
    seen.push(`${step.job.key} step:finished ${conclusion}`),
  );
  handle.on("log:line", ({ job, step, line }) =>
    seen.push(
      `${job.key}${step ? ` [${step.index}]` : ""} ${line.stream}${line.group ? `:${line.group}` : ""} ${line.text}`,
    ),
  );
  return { handle, runId: run.id, seen };
}

/** A loopback proxy that forwards everything but hangs up on the first log upload after the server stored it. */
async function startDroppingProxy(target: string): Promise<{ url: string; dropped: () => number }> {
  let dropped = 0;
  const proxy = http.createServer((request, response) => {
    const upstream = http.request(
      new URL(request.url!, target),
      { method: request.method, headers: request.headers },
      (answer) => {
        if (request.url!.endsWith("/logs") && dropped === 0) {
          dropped += 1;
          answer.resume();
          answer.on("end", () => request.socket.destroy());
          return;
        }
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(upstream);
  });
  proxy.listen(0, "127.0.0.1");
  await new Promise((resolve) => proxy.once("listening", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );
  const { port } = proxy.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, dropped: () => dropped };
}

async function awaitRun(handle: RunHandle, stop: AbortController, loop: Promise<unknown>) {
  const result = await handle.result;
  stop.abort();
  await loop;
  return result;
}

for (const dialect of DIALECTS) {
  describe(`remote runner end to end (${dialect})`, () => {
    test("a workflow run by runWorkflow executes on a runnerLoop and its logs come back through the engine", async () => {
      const server = await startServer(dialect);
      const runnerToken = await registerTestRunner(server.store, ["self-hosted", "linux"]);
      const { handle, runId, seen } = await startQueuedRun(server);
      const stop = new AbortController();
      const loop = runnerLoop({ url: server.url, runnerToken, host: runnerHost(), stopSignal: stop.signal });
      const result = await awaitRun(handle, stop, loop);

      assert.equal(result.conclusion, "success", seen.join("\n"));
      assert.deepEqual(
        result.jobs.map((job) => [job.key, job.conclusion, job.outputs]),
        [
          ["first", "success", { word: "bird" }],
          ["second", "success", {}],
        ],
      );
      // Lines arrive in order, inside their step, with group markers and streams intact.
      const first = seen.filter((entry) => entry.startsWith("first"));
      const at = (text: string) => first.findIndex((entry) => entry.endsWith(text));
      assert.ok(at('step:started Run echo "hello from the runner"') >= 0, first.join("\n"));
      assert.ok(first.includes("first [0] stdout hello from the runner"), first.join("\n"));
      assert.ok(first.includes("first [0] stdout:start details"), first.join("\n"));
      assert.ok(first.includes("first [0] stderr to stderr"), first.join("\n"));
      assert.ok(at('step:started Run echo "hello from the runner"') < at("hello from the runner"));
      assert.ok(at("hello from the runner") < at("step:finished success"));
      assert.ok(seen.includes("second [0] stdout got bird"), seen.join("\n"));

      const stored = await getRun(server.store, runId);
      assert.deepEqual(
        stored?.jobs.map((job) => [job.key, job.status, job.conclusion]),
        [
          ["first", "completed", "success"],
          ["second", "completed", "success"],
        ],
      );
    });

    test("log chunks resent after a dropped acknowledgement are stored and replayed once", async () => {
      const server = await startServer(dialect);
      const proxy = await startDroppingProxy(server.url);
      const runnerToken = await registerTestRunner(server.store, ["self-hosted", "linux"]);
      const { handle, runId, seen } = await startQueuedRun(server);
      const stop = new AbortController();
      const loop = runnerLoop({
        url: proxy.url,
        runnerToken,
        host: runnerHost(),
        stopSignal: stop.signal,
        retry: { minMs: 10, maxMs: 50 },
      });
      const result = await awaitRun(handle, stop, loop);

      assert.equal(result.conclusion, "success", seen.join("\n"));
      assert.equal(proxy.dropped(), 1);
      const stored = await getRun(server.store, runId);
      const firstJob = stored!.jobs.find((job) => job.key === "first")!;
      const text = (await getJobLogs(server.store, firstJob.id)).map((chunk) => chunk.text).join("");
      assert.equal(text.split("\n").filter((line) => line === "hello from the runner").length, 1, text);
      assert.equal(seen.filter((entry) => entry === "first [0] stdout hello from the runner").length, 1);
    });

    test("cancelling the run reaches the runner at its heartbeat and the job ends cancelled", async () => {
      const server = await startServer(dialect);
      const runnerToken = await registerTestRunner(server.store, ["self-hosted"]);
      const { handle, seen } = await startQueuedRun(
        server,
        `on: push
jobs:
  slow:
    runs-on: self-hosted
    steps:
      - run: echo started; sleep 60
`,
      );
      handle.on("log:line", ({ line }) => {
        if (line.text === "started") handle.cancel();
      });
      const stop = new AbortController();
      const loop = runnerLoop({ url: server.url, runnerToken, host: runnerHost(), stopSignal: stop.signal });
      const result = await awaitRun(handle, stop, loop);
      assert.equal(result.conclusion, "cancelled", seen.join("\n"));
      assert.equal(result.jobs[0]?.conclusion, "cancelled");
    });
  });
}

test("hangar runner register and run --once take one job through the real CLI", async () => {
  const server = await startServer("sqlite");
  const { token } = await mintRegistrationToken(server.store);
  const dataDir = path.join(base, "cli-runner");
  const config = path.join(dataDir, "runner.json");
  const registered = await runRunnerCli([
    "register",
    "--url",
    server.url,
    "--token",
    token,
    "--labels",
    "self-hosted,linux",
    "--name",
    "cli-box",
    "--config",
    config,
  ]);
  assert.equal(registered.code, 0, registered.stderr);
  assert.equal((await stat(config)).mode & 0o777, 0o600);
  assert.ok(!(await readFile(config, "utf8")).includes(token));

  const { handle, seen } = await startQueuedRun(server);
  const runner = runRunnerCli(["run", "--once", "--config", config, "--data-dir", dataDir]);
  // --once takes one job and exits; a second runner takes the other (the job that needs the first).
  const first = await runner;
  assert.equal(first.code, 0, first.stderr);
  const second = await runRunnerCli(["run", "--once", "--config", config, "--data-dir", dataDir]);
  assert.equal(second.code, 0, second.stderr);
  const result = await handle.result;
  assert.equal(result.conclusion, "success", seen.join("\n"));
  assert.match(first.stderr, /hello from the runner/);
});
