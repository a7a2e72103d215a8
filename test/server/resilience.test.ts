// Lost runners and a lost server, with real processes killed by SIGKILL: a runner killed mid-job (its job requeued to
// another runner, or failed as runner_lost), and `hangar serve` killed mid-run and started again on the same store
// (SQLite and PostgreSQL). Every job ends in a defined state, no finished job runs again, no acknowledged log line
// is lost or doubled.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test, type TestContext } from "node:test";
import {
  getJobLogs,
  getRun,
  insertRepository,
  mintRegistrationToken,
  openStore,
  type Dialect,
  type Job,
  type Store,
} from "../../src/store/index.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";
import { makeGitRepo } from "../support/git-repo.js";
import {
  freePort,
  pushWebhook,
  startRunner,
  startServe,
  waitFor,
  type HangarProcess,
} from "../support/hangar-process.js";

const secret = "resilience-secret";
const repositoryName = "octo-org/octo-repo";

interface Setup {
  store: Store;
  url: string;
  port: number;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  server: HangarProcess;
  repo: string;
  /** A fresh directory for files the jobs write (MARKERS in their environment). */
  markers: string;
  tempDir(prefix: string): string;
}

async function setUp(
  t: TestContext,
  dialect: Dialect,
  workflow: string,
  serveArgs: string[],
): Promise<Setup> {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  dirs.push(repo);
  const database = await createTestDatabase(dialect);
  const port = await freePort();
  const server = await startServe({
    dataDir: database.options.dataDir,
    databaseUrl: database.options.url,
    port,
    args: serveArgs,
  });
  const store = await openStore(database.options);
  t.after(async () => {
    await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  await insertRepository(store, { name: repositoryName, gitUrl: repo, webhookSecret: secret });
  return {
    store,
    url: server.url,
    port,
    database,
    server,
    repo,
    markers: tempDir("hangar-markers-"),
    tempDir,
  };
}

async function push(setup: Setup): Promise<number> {
  const sha = execFileSync("git", ["-C", setup.repo, "rev-parse", "HEAD"]).toString().trim();
  const [runId] = await pushWebhook(setup.store, setup.url, {
    secret,
    repository: repositoryName,
    sha,
    branch: "main",
  });
  return runId!;
}

async function runner(setup: Setup, name: string): Promise<HangarProcess> {
  const { token } = await mintRegistrationToken(setup.store);
  return startRunner({
    url: setup.url,
    registrationToken: token,
    dataDir: setup.tempDir(`hangar-runner-${name}-`),
    name,
    labels: ["self-hosted"],
    // Jobs write marker files on the host to prove which ran: this suite is about lost runners, not isolation.
    env: { MARKERS: setup.markers },
    args: ["--executor", "host"],
  });
}

async function jobOf(store: Store, runId: number, jobId: string): Promise<Job | undefined> {
  return (await getRun(store, runId))?.jobs.find((job) => job.jobId === jobId);
}

async function logLines(store: Store, jobRowId: number): Promise<string[]> {
  const chunks = await getJobLogs(store, jobRowId);
  return chunks.flatMap((chunk) => chunk.text.split("\n")).filter((line) => line !== "");
}

/** The `line N from R` lines of a job's stored log, in order. */
async function numberedLines(store: Store, jobRowId: number): Promise<string[]> {
  return (await logLines(store, jobRowId)).filter((line) => /^line \d+ from \S+$/.test(line));
}

async function countEvents(store: Store, action: string, jobRowId: number): Promise<number> {
  const rows = await store.db
    .selectFrom("events")
    .select("id")
    .where("action", "=", action)
    .where("resource_type", "=", "job")
    .where("resource_id", "=", String(jobRowId))
    .execute();
  return rows.length;
}

// The first runner prints its lines and then hangs until killed; any other runner finishes.
const hangingJob = `on: push
jobs:
  count:
    runs-on: self-hosted
    steps:
      - run: |
          for i in 1 2 3 4 5; do echo "line $i from $RUNNER_NAME"; done
          if [ "$RUNNER_NAME" = first ]; then sleep 600; fi
`;

/** Starts the first runner and a run of `hangingJob`; resolves once the server acknowledged its five lines. */
async function runUntilHanging(setup: Setup) {
  const first = await runner(setup, "first");
  const runId = await push(setup);
  const job = await waitFor("the first runner's lines", async () => {
    const found = await jobOf(setup.store, runId, "count");
    return found && (await numberedLines(setup.store, found.id)).length === 5 ? found : undefined;
  });
  return { first, runId, acknowledged: await numberedLines(setup.store, job.id) };
}

async function completedRun(setup: Setup, runId: number) {
  return waitFor("the run to complete", async () => {
    const found = await getRun(setup.store, runId);
    return found?.run.status === "completed" ? found : undefined;
  });
}

describe("a runner killed mid-job (sqlite)", () => {
  const serveArgs = ["--runner-lease", "1.5", "--sweep-interval", "0.3"];

  test("requeue: the job completes on another runner; acknowledged lines are kept once", async (t) => {
    const setup = await setUp(t, "sqlite", hangingJob, [...serveArgs, "--runner-lost", "requeue"]);
    // 1. The first runner stored all five lines and hangs. 2. Those lines are what the server acknowledged.
    const { first, runId, acknowledged } = await runUntilHanging(setup);
    await first.kill("SIGKILL");
    // 3. The lease expires, the sweeper requeues the job, and the second runner runs it to the end.
    await runner(setup, "second");
    const finished = await completedRun(setup, runId);
    assert.equal(finished.run.conclusion, "success", JSON.stringify(finished));
    const done = finished.jobs.find((j) => j.jobId === "count")!;
    assert.equal(done.conclusion, "success");
    assert.equal(done.claimCount, 2);
    assert.equal(await countEvents(setup.store, "job:started", done.id), 2);
    const lines = await numberedLines(setup.store, done.id);
    for (const line of acknowledged) assert.equal(lines.filter((l) => l === line).length, 1, line);
    assert.deepEqual(
      lines.filter((line) => line.endsWith("from second")),
      [1, 2, 3, 4, 5].map((i) => `line ${i} from second`),
    );
    await setup.server.kill("SIGTERM");
  });

  test("fail: the job fails at once as runner_lost and goes to no other runner", async (t) => {
    const setup = await setUp(t, "sqlite", hangingJob, [...serveArgs, "--runner-lost", "fail"]);
    const { first, runId, acknowledged } = await runUntilHanging(setup);
    // A second runner is waiting: with `fail` it must not get the job.
    await runner(setup, "second");
    await first.kill("SIGKILL");
    const finished = await completedRun(setup, runId);
    assert.equal(finished.run.conclusion, "failure");
    const lost = finished.jobs.find((j) => j.jobId === "count")!;
    assert.equal(lost.conclusion, "failure");
    assert.equal(lost.stopReason, "runner_lost");
    assert.equal(await countEvents(setup.store, "job:started", lost.id), 1);
    assert.deepEqual(await numberedLines(setup.store, lost.id), acknowledged);
    await setup.server.kill("SIGTERM");
  });
});

// `first` finishes (and records that it ran in a file), `second` prints lines and waits for a release file, `third`
// needs both and checks first's output: the server is killed while `second` runs.
const threeJobs = `on: push
jobs:
  first:
    runs-on: self-hosted
    outputs:
      value: \${{ steps.out.outputs.value }}
    steps:
      - id: out
        run: |
          echo "ran" >> "$MARKERS/first"
          echo "value=42" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: self-hosted
    steps:
      - run: |
          for i in 1 2 3; do echo "line $i from second"; done
          while [ ! -f "$MARKERS/release" ]; do sleep 0.1; done
          echo "ran" >> "$MARKERS/second"
  third:
    needs: [first, second]
    runs-on: self-hosted
    steps:
      - run: |
          test "\${{ needs.first.outputs.value }}" = 42
          echo "ran" >> "$MARKERS/third"
`;

for (const dialect of DIALECTS) {
  test(`a server killed mid-run resumes the run after a restart, running no job twice (${dialect})`, async (t) => {
    const serveArgs = ["--run-lease", "1.5", "--sweep-interval", "0.3", "--runner-lease", "20"];
    const setup = await setUp(t, dialect, threeJobs, serveArgs);
    await runner(setup, "worker");
    const runId = await push(setup);
    const second = await waitFor("second's lines", async () => {
      const found = await jobOf(setup.store, runId, "second");
      return found && (await numberedLines(setup.store, found.id)).length === 3 ? found : undefined;
    });
    const acknowledged = await numberedLines(setup.store, second.id);
    // 1. Killed with first done, second running and third not yet queued.
    await setup.server.kill("SIGKILL");
    assert.equal((await jobOf(setup.store, runId, "first"))?.conclusion, "success");
    assert.equal(await jobOf(setup.store, runId, "third"), undefined);
    // 2. Same port (the runner points there) and store; it adopts the run once the dead server's lease lapses.
    const restarted = await startServe({
      dataDir: setup.database.options.dataDir,
      databaseUrl: setup.database.options.url,
      port: setup.port,
      args: serveArgs,
    });
    await waitFor("the run to be adopted", async () => {
      const rows = await setup.store.db
        .selectFrom("events")
        .select("id")
        .where("action", "=", "run:adopted")
        .where("resource_id", "=", String(runId))
        .execute();
      return rows.length > 0 ? true : undefined;
    });
    // 3. Second finishes on the runner that kept it; third is derived again and runs.
    writeFileSync(path.join(setup.markers, "release"), "");
    const finished = await completedRun(setup, runId);
    assert.equal(finished.run.conclusion, "success", JSON.stringify(finished.jobs));
    assert.deepEqual(
      finished.jobs.map((job) => [job.jobId, job.status, job.conclusion]),
      [
        ["first", "completed", "success"],
        ["second", "completed", "success"],
        ["third", "completed", "success"],
      ],
    );
    for (const job of finished.jobs) assert.equal(await countEvents(setup.store, "job:started", job.id), 1);
    for (const name of ["first", "second", "third"]) {
      assert.equal(readFileSync(path.join(setup.markers, name), "utf8"), "ran\n", `${name} ran once`);
    }
    const lines = await numberedLines(setup.store, second.id);
    assert.deepEqual(lines, acknowledged);
    await restarted.kill("SIGTERM");
  });
}
