// Server benchmark (npm run bench:serve, JSON on stdout), per dialect: signed webhook → trivial job finished
// (sequential), sustained runs/s with 4 `hangar runner` processes, a burst of signed pushes (answer latency against
// /readyz at the same concurrency, every delivery taken once, every run completed), and live log latency over SSE.
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type RunningServer } from "../src/server/index.js";
import { getRun, insertRepository, mintRegistrationToken, openStore } from "../src/store/index.js";
import { takenDelivery } from "../test/support/deliveries.js";
import { sendWebhook } from "../test/support/fake-github.js";
import { makeGitRepo } from "../test/support/git-repo.js";
import { authHeaders, createApiToken } from "../test/support/api-token.js";
import { startPostgres } from "../test/support/postgres.js";
import { summarize, type Summary } from "./summarize.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LATENCY_RUNS = Number(process.env["BENCH_LATENCY_RUNS"] ?? 500);
const THROUGHPUT_RUNS = Number(process.env["BENCH_THROUGHPUT_RUNS"] ?? 400);
const RUNNERS = 4;
const SSE_LINES = 100;
const BURST = Number(process.env["BENCH_BURST"] ?? 2000);
const BURST_CONNECTIONS = 16;
const secret = "bench-secret";
const repositoryName = "bench/serve";

const trivialWorkflow = `on: push
jobs:
  build:
    runs-on: [self-hosted, linux]
    steps:
      - run: "true"
`;

// Each line carries the wall-clock time the step printed it, so the SSE client measures print → receive.
const chattyWorkflow = `on: push
jobs:
  build:
    runs-on: [self-hosted, linux]
    steps:
      - run: |
          for i in $(seq 1 ${SSE_LINES}); do echo "emitted-at $(date +%s%N)"; sleep 0.02; done
`;

function pushPayload(sha: string) {
  return {
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: sha,
    repository: { full_name: repositoryName },
    sender: { login: "bench" },
  };
}

/** A signed push webhook, answered 202 once queued; its delivery id. */
async function sendPush(server: RunningServer, sha: string): Promise<string> {
  const delivered = await sendWebhook(`${server.url}/webhooks/github`, {
    event: "push",
    secret,
    payload: pushPayload(sha),
  });
  if (delivered.status !== 202)
    throw new Error(`webhook answered ${delivered.status}: ${JSON.stringify(delivered.body)}`);
  return delivered.deliveryId;
}

/** The one run of each delivery, once the intake queue took them all and the server started the runs. */
async function runsOf(server: RunningServer, deliveryIds: readonly string[]): Promise<number[]> {
  const runIds: number[] = [];
  for (const deliveryId of deliveryIds) {
    const taken = await takenDelivery(server.store, deliveryId, 600_000);
    if (taken.status !== "handled" || taken.runIds.length !== 1) {
      throw new Error(`delivery ${deliveryId} is ${taken.status} with runs ${JSON.stringify(taken.runIds)}`);
    }
    runIds.push(taken.runIds[0]!);
  }
  if (new Set(runIds).size !== runIds.length) throw new Error("two deliveries share a run");
  return runIds;
}

/** A push webhook, followed until the intake queue took it; its one run. */
async function pushRun(server: RunningServer, sha: string): Promise<number> {
  const [runId] = await runsOf(server, [await sendPush(server, sha)]);
  return runId!;
}

const round = (value: number) => Math.round(value * 100) / 100;
const progress = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

/** A fresh database per measurement: PostgreSQL clones its template, undefined is a new SQLite file. */
type FreshDatabase = () => Promise<string | undefined>;

async function withServer<T>(
  freshDatabase: FreshDatabase,
  workflow: string,
  embeddedRunnerLabels: string[],
  body: (server: RunningServer, sha: string, dataDir: string) => Promise<T>,
): Promise<T> {
  const repo = await makeGitRepo({ ".github/workflows/bench.yml": workflow });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-serve-"));
  const server = await startServer({
    dataDir,
    databaseUrl: await freshDatabase(),
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels,
  });
  try {
    await insertRepository(server.store, { name: repositoryName, gitUrl: repo, webhookSecret: secret });
    const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
    return await body(server, sha, dataDir);
  } finally {
    await server.close();
    await Promise.all([repo, dataDir].map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Webhook → run completed, one at a time, on the embedded runner. */
async function webhookToFinished(freshDatabase: FreshDatabase): Promise<Summary> {
  return withServer(freshDatabase, trivialWorkflow, ["self-hosted", "linux"], async (server, sha) => {
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_RUNS + 10; i++) {
      const start = performance.now();
      const runId = await pushRun(server, sha);
      await server.launcher.idle();
      const elapsed = performance.now() - start;
      const found = await getRun(server.store, runId);
      if (found?.run.conclusion !== "success") throw new Error(`run ${runId}: ${JSON.stringify(found?.run)}`);
      if (i >= 10) samples.push(elapsed); // the first runs warm the mirror and the JIT
    }
    return summarize(samples);
  });
}

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(root, "bin/hangar.js"), ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** `hangar runner` processes registered with the server, running until `body` ends. */
async function withRunners<T>(server: RunningServer, dataDir: string, body: () => Promise<T>): Promise<T> {
  const runners: ChildProcess[] = [];
  try {
    for (let i = 0; i < RUNNERS; i++) {
      const runnerDir = path.join(dataDir, `runner-${i}`);
      const { token } = await mintRegistrationToken(server.store);
      const register = cli([
        ...["runner", "register", "--url", server.url, "--token", token],
        ...["--labels", "self-hosted,linux", "--name", `bench-${i}`, "--data-dir", runnerDir],
      ]);
      if ((await exited(register)) !== 0) throw new Error(`runner ${i} did not register`);
      runners.push(cli(["runner", "run", "--data-dir", runnerDir]));
    }
    return await body();
  } finally {
    for (const runner of runners) runner.kill("SIGTERM");
    await Promise.all(runners.map(exited));
  }
}

async function assertSucceeded(server: RunningServer, runIds: readonly number[]): Promise<void> {
  for (const runId of runIds) {
    const found = await getRun(server.store, runId);
    if (found?.run.conclusion !== "success") throw new Error(`run ${runId} did not succeed`);
  }
}

/** Many pushes at once, jobs taken by 4 runner processes; runs/s from the first webhook to the last completion. */
async function throughput(freshDatabase: FreshDatabase): Promise<Record<string, number>> {
  return withServer(freshDatabase, trivialWorkflow, [], async (server, sha, dataDir) =>
    withRunners(server, dataDir, async () => {
      await pushRun(server, sha); // warm-up: mirror fetched, runners polling
      await server.launcher.idle();
      const start = performance.now();
      const deliveryIds: string[] = [];
      // Eight deliveries in flight, like a busy organisation's webhooks.
      await inParallel(THROUGHPUT_RUNS, 8, async () => {
        deliveryIds.push(await sendPush(server, sha));
      });
      const runIds = await runsOf(server, deliveryIds);
      await server.launcher.idle();
      const seconds = (performance.now() - start) / 1000;
      await assertSucceeded(server, runIds);
      return {
        runs: runIds.length,
        runners: RUNNERS,
        seconds: round(seconds),
        runsPerSecond: round(runIds.length / seconds),
      };
    }),
  );
}

/** `count` calls of `call`, `concurrency` at a time; each call's latency. */
async function inParallel(count: number, concurrency: number, call: (index: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const start = performance.now();
        await call(index);
        samples.push(performance.now() - start);
      }
    }),
  );
  return samples;
}

/**
 * A burst of signed pushes at 16 connections: how fast each is answered (against GET /readyz, one store read, at the
 * same concurrency: the floor), that every delivery is taken once with its one run, and every run completes.
 */
async function burst(freshDatabase: FreshDatabase) {
  return withServer(freshDatabase, trivialWorkflow, [], async (server, sha, dataDir) =>
    withRunners(server, dataDir, async () => {
      await pushRun(server, sha); // warm-up: mirror fetched, workflow pool started
      await server.launcher.idle();
      const floor = summarize(
        await inParallel(BURST, BURST_CONNECTIONS, async () => {
          const response = await fetch(`${server.url}/readyz`);
          if (!response.ok) throw new Error(`/readyz answered ${response.status}`);
          await response.arrayBuffer();
        }),
      );
      const deliveryIds: string[] = [];
      const start = performance.now();
      const answers = summarize(
        await inParallel(BURST, BURST_CONNECTIONS, async () => {
          deliveryIds.push(await sendPush(server, sha));
        }),
      );
      const answeredSeconds = (performance.now() - start) / 1000;
      progress(`burst: ${BURST} answered in ${answeredSeconds.toFixed(1)} s`);
      const runIds = await runsOf(server, deliveryIds);
      const takenSeconds = (performance.now() - start) / 1000;
      progress(`burst: taken in ${takenSeconds.toFixed(1)} s`);
      const { count } = await server.store.db
        .selectFrom("runs")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .executeTakeFirstOrThrow();
      await server.launcher.idle();
      const finishedSeconds = (performance.now() - start) / 1000;
      progress(`burst: runs finished in ${finishedSeconds.toFixed(1)} s`);
      await assertSucceeded(server, runIds);
      return {
        pushes: BURST,
        connections: BURST_CONNECTIONS,
        answered: answers,
        readyzFloor: floor,
        p95OverFloor: round(answers.p95Ms / floor.p95Ms),
        answeredPerSecond: round(BURST / answeredSeconds),
        takenPerSecond: round(BURST / takenSeconds),
        extraRuns: Number(count) - 1 - BURST, // runs beyond one per push and the warm-up: none expected
        runsPerSecond: round(BURST / finishedSeconds),
      };
    }),
  );
}

/** Print → SSE receive, per line, for a job that prints a line every 20 ms. */
async function sseLatency(freshDatabase: FreshDatabase): Promise<Summary> {
  return withServer(freshDatabase, chattyWorkflow, ["self-hosted", "linux"], async (server, sha) => {
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      const runId = await pushRun(server, sha);
      const jobId = await firstJobId(server, runId);
      const response = await fetch(`${server.url}/api/jobs/${jobId}/logs/stream`, {
        headers: authHeaders(await createApiToken(server.store, { role: "viewer" })),
      });
      if (!response.ok || !response.body) throw new Error(`log stream answered ${response.status}`);
      const decoder = new TextDecoder();
      let pending = "";
      let isEnded = false;
      for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
        const receivedMs = Date.now();
        pending += decoder.decode(bytes, { stream: true });
        // SSE events end with a blank line; only complete events are read.
        const events = pending.split("\n\n");
        pending = events.pop() ?? "";
        for (const event of events) {
          if (/^event: end$/m.test(event)) isEnded = true;
          for (const match of event.matchAll(/emitted-at (\d{19})/g)) {
            samples.push(receivedMs - Number(BigInt(match[1]!) / 1_000_000n));
          }
        }
        if (isEnded) break;
      }
      if (!isEnded) throw new Error(`the log stream of job ${jobId} closed before its end event`);
      await server.launcher.idle();
    }
    return summarize(samples);
  });
}

async function firstJobId(server: RunningServer, runId: number): Promise<number> {
  for (;;) {
    const job = (await getRun(server.store, runId))?.jobs[0];
    if (job) return job.id;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function benchDialect(freshDatabase: FreshDatabase) {
  progress("webhook to job finished");
  const webhookToJobFinished = await webhookToFinished(freshDatabase);
  progress("throughput with 4 runners");
  const throughputWith4Runners = await throughput(freshDatabase);
  progress("burst");
  const webhookBurst = await burst(freshDatabase);
  progress("SSE log latency");
  return {
    webhookToJobFinished,
    throughputWith4Runners,
    webhookBurst,
    sseLogLatency: await sseLatency(freshDatabase),
  };
}

const sqlite = await benchDialect(async () => undefined);
const postgres = await startPostgres(async (url) => {
  const store = await openStore({ url, dataDir: os.tmpdir() });
  await store.close();
});
let pg: Awaited<ReturnType<typeof benchDialect>>;
try {
  pg = await benchDialect(() => postgres.cloneTemplate());
} finally {
  postgres.stop();
}
process.stdout.write(
  `${JSON.stringify({ machine: { cpus: os.availableParallelism(), node: process.version }, sqlite, postgres: pg }, null, 2)}\n`,
);
