// The runner protocol over real HTTP on loopback, on both databases: auth, long-poll claims, ownership, logs, cancel.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { after, describe, test } from "node:test";
import Fastify from "fastify";
import { sql } from "kysely";
import { startLeaseSweeper } from "../../src/control/index.js";
import { runnerProtocolPlugin, type RunnerProtocolOptions } from "../../src/server/runner-protocol/index.js";
import {
  cancelJob,
  getJob,
  getJobLogs,
  insertQueuedJob,
  mintRegistrationToken,
  type Store,
  type SweepResult,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "../store/test-stores.js";

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Harness {
  store: Store;
  repositoryId: number;
  url: string;
  /** Emits `waiting` with the runner id each time a claim starts waiting. */
  claims: EventEmitter;
}

async function startHarness(
  dialect: (typeof DIALECTS)[number],
  options: Partial<RunnerProtocolOptions> = {},
) {
  const { store, repositoryId } = await openStoreWithRepository(dialect);
  const claims = new EventEmitter();
  // Runners keep connections open (long-polls, pooled sockets): close them instead of waiting for their timeouts.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(runnerProtocolPlugin, {
    store,
    // Long enough that a claim answering at all proves it was woken, not timed out or polled.
    claimWaitMs: 120_000,
    safetyPollMs: 600_000,
    onClaimWaiting: (runnerId) => claims.emit("waiting", runnerId),
    ...options,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => app.close());
  return { store, repositoryId, url, claims } satisfies Harness;
}

async function post(url: string, route: string, body: unknown, token?: string) {
  const response = await fetch(new URL(route, url), {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function register(harness: Harness, labels: string[], name = "box") {
  const { token } = await mintRegistrationToken(harness.store);
  const response = await post(harness.url, "/api/runners/register", { token, name, labels });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as { runnerId: string; runnerToken: string };
}

async function queueJob(harness: Harness, key: string, runsOn: string[]) {
  const { run } = await insertTestRun(harness.store, harness.repositoryId);
  return insertQueuedJob(harness.store, {
    runId: run.id,
    attempt: 1,
    key,
    jobId: key,
    name: key,
    runsOn,
    request: { jobId: key },
  });
}

for (const dialect of DIALECTS) {
  describe(`runner protocol (${dialect})`, () => {
    test("registration: a bad token is 401, a used one is refused, the runner token is stored hashed", async () => {
      const harness = await startHarness(dialect);
      const bad = await post(harness.url, "/api/runners/register", { token: "nope", name: "x", labels: [] });
      assert.equal(bad.status, 401);
      assert.deepEqual(bad.body, {
        statusCode: 401,
        code: "RUNNER_REGISTRATION_INVALID",
        message: "the registration token is unknown, expired or already used",
      });
      const { token } = await mintRegistrationToken(harness.store);
      const first = await post(harness.url, "/api/runners/register", { token, name: "a", labels: ["linux"] });
      assert.equal(first.status, 200);
      const again = await post(harness.url, "/api/runners/register", { token, name: "b", labels: ["linux"] });
      assert.equal(again.status, 401);
      const runnerToken = String(first.body!["runnerToken"]);
      const rows = await harness.store.db.selectFrom("runners").select("token_hash").execute();
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]!.token_hash, runnerToken);

      const unauthenticated = await post(harness.url, "/api/runners/claim", {}, "hgt_wrong");
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.body!["code"], "RUNNER_TOKEN_INVALID");
      const invalid = await post(harness.url, "/api/runners/register", { token: 5 });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body!["code"], "RUNNER_REQUEST_INVALID");
    });

    test("a waiting claim is woken by a job queued while it waits, and only for matching labels", async () => {
      const harness = await startHarness(dialect);
      const gpu = await register(harness, ["linux", "gpu"], "gpu-box");
      const plain = await register(harness, ["linux"], "plain-box");
      // 1. the plain runner waits; 2. a gpu job is queued (wakes it, but it does not match: it waits again);
      // 3. a linux job is queued and the plain runner gets exactly that one.
      const waitedOnce = once(harness.claims, "waiting");
      const plainClaim = post(harness.url, "/api/runners/claim", {}, plain.runnerToken);
      await waitedOnce;
      const waitedTwice = once(harness.claims, "waiting");
      const gpuJob = await queueJob(harness, "train", ["gpu", "linux"]);
      await waitedTwice;
      const linuxJob = await queueJob(harness, "build", ["Linux"]);
      const claimed = await plainClaim;
      assert.equal(claimed.status, 200);
      assert.equal(claimed.body!["jobId"], linuxJob.id);
      assert.deepEqual(claimed.body!["request"], { jobId: "build" });
      assert.equal(claimed.body!["logSeq"], 0);

      const gpuClaim = await post(harness.url, "/api/runners/claim", {}, gpu.runnerToken);
      assert.equal(gpuClaim.body!["jobId"], gpuJob.id);
    });

    test("a claim with nothing to take answers 204 after its wait", async () => {
      const harness = await startHarness(dialect, { claimWaitMs: 1 });
      const runner = await register(harness, ["linux"]);
      const response = await post(harness.url, "/api/runners/claim", {}, runner.runnerToken);
      assert.equal(response.status, 204);
    });

    test("a runner cannot touch another runner's job; heartbeats renew and report a cancel", async () => {
      const harness = await startHarness(dialect);
      const owner = await register(harness, ["linux"], "owner");
      const other = await register(harness, ["linux"], "other");
      const job = await queueJob(harness, "build", ["linux"]);
      const claimed = await post(harness.url, "/api/runners/claim", {}, owner.runnerToken);
      assert.equal(claimed.body!["jobId"], job.id);

      const routes = [
        ["heartbeat", {}],
        ["logs", { chunks: [{ seq: 1, offset: 0, text: "x\n" }] }],
        ["events", { events: [] }],
        ["complete", { conclusion: "success", outputs: {} }],
      ] as const;
      for (const [route, body] of routes) {
        const response = await post(harness.url, `/api/jobs/${job.id}/${route}`, body, other.runnerToken);
        assert.equal(response.status, 403, route);
        assert.equal(response.body!["code"], "RUNNER_JOB_FORBIDDEN");
      }
      const missing = await post(harness.url, `/api/jobs/${job.id + 1000}/heartbeat`, {}, owner.runnerToken);
      assert.equal(missing.status, 404);

      const before = (await getJob(harness.store, job.id))!.leaseExpiresAt!;
      const beat = await post(harness.url, `/api/jobs/${job.id}/heartbeat`, {}, owner.runnerToken);
      assert.deepEqual(beat.body, { cancel: false });
      assert.ok((await getJob(harness.store, job.id))!.leaseExpiresAt! >= before);
      await cancelJob(harness.store, job.id);
      const told = await post(harness.url, `/api/jobs/${job.id}/heartbeat`, {}, owner.runnerToken);
      assert.deepEqual(told.body, { cancel: true });

      const done = await post(
        harness.url,
        `/api/jobs/${job.id}/complete`,
        { conclusion: "cancelled", outputs: {}, reason: "cancelled" },
        owner.runnerToken,
      );
      assert.equal(done.status, 200);
      const stored = await getJob(harness.store, job.id);
      assert.equal(stored?.conclusion, "cancelled");
    });

    test("log chunks resent after a lost acknowledgement are stored once", async () => {
      const harness = await startHarness(dialect);
      const runner = await register(harness, ["linux"]);
      const job = await queueJob(harness, "build", ["linux"]);
      await post(harness.url, "/api/runners/claim", {}, runner.runnerToken);
      const chunks = [
        { seq: 1, offset: 0, text: "one\n" },
        { seq: 2, offset: 4, text: "two\n" },
      ];
      const first = await post(harness.url, `/api/jobs/${job.id}/logs`, { chunks }, runner.runnerToken);
      assert.deepEqual(first.body, { ack: 2 });
      // The runner never saw that ack: it resends both plus the next one.
      const resent = await post(
        harness.url,
        `/api/jobs/${job.id}/logs`,
        { chunks: [...chunks, { seq: 3, offset: 8, text: "three\n" }] },
        runner.runnerToken,
      );
      assert.deepEqual(resent.body, { ack: 3 });
      assert.deepEqual(
        (await getJobLogs(harness.store, job.id)).map((chunk) => chunk.text),
        ["one\n", "two\n", "three\n"],
      );
    });

    test("the sweeper requeues a vanished runner's job; that runner's complete is then 409", async () => {
      const harness = await startHarness(dialect);
      const runner = await register(harness, ["linux"]);
      const job = await queueJob(harness, "build", ["linux"]);
      await post(harness.url, "/api/runners/claim", {}, runner.runnerToken);
      // The runner vanished long ago: its lease expired by the database's clock.
      await sql`update jobs set lease_expires_at = ${"2000-01-01T00:00:00.000Z"} where id = ${job.id}`.execute(
        harness.store.db,
      );
      const sweeps = new EventEmitter();
      const sweptOnce = once(sweeps, "sweep");
      const sweeper = startLeaseSweeper(harness.store, {
        intervalMs: 20,
        onSweep: (result) => sweeps.emit("sweep", result),
        onError: (error) => sweeps.emit("error", error),
      });
      const [swept] = (await sweptOnce) as [SweepResult];
      await sweeper.stop();
      assert.deepEqual(
        swept.requeued.map((requeued) => requeued.id),
        [job.id],
      );
      assert.equal((await getJob(harness.store, job.id))?.status, "queued");
      const late = await post(
        harness.url,
        `/api/jobs/${job.id}/complete`,
        { conclusion: "success", outputs: {} },
        runner.runnerToken,
      );
      assert.equal(late.status, 409);
      assert.equal(late.body!["code"], "QUEUE_LEASE_LOST");
    });
  });
}
