// The runner queue's store queries on both databases: registration tokens, runners, queued jobs, cancel, step events.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  appendLogChunks,
  cancelJob,
  claimJob,
  findRunnerByToken,
  getJob,
  getLogTail,
  insertQueuedJob,
  listJobEvents,
  mintRegistrationToken,
  recordStepEvents,
  registerRunner,
  StoreError,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "../store/test-stores.js";

async function queueJob(store: Store, repositoryId: number, key = "build", runsOn = ["linux"]) {
  const { run } = await insertTestRun(store, repositoryId);
  return insertQueuedJob(store, {
    runId: run.id,
    attempt: 1,
    key,
    jobId: key,
    name: key,
    runsOn,
    request: { jobId: key, contexts: { matrix: { n: 1 } } },
  });
}

for (const dialect of DIALECTS) {
  describe(`runner queue store (${dialect})`, () => {
    test("a registration token is stored hashed, registers one runner once, and finds it by its token", async () => {
      const { store } = await openStoreWithRepository(dialect);
      const { token } = await mintRegistrationToken(store);
      const stored = await store.db.selectFrom("runner_registration_tokens").select("token_hash").execute();
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]!.token_hash, token);
      assert.ok(!stored[0]!.token_hash.includes(token));

      const registered = await registerRunner(store, {
        registrationToken: token,
        name: "box",
        labels: ["Linux", "x64", "linux"],
      });
      assert.ok(registered);
      assert.deepEqual(registered.runner.labels, ["linux", "x64"]);
      assert.equal(
        await registerRunner(store, { registrationToken: token, name: "again", labels: [] }),
        undefined,
      );
      assert.equal(
        await registerRunner(store, { registrationToken: "hgr_unknown", name: "x", labels: [] }),
        undefined,
      );

      const runnerRow = await store.db.selectFrom("runners").select("token_hash").executeTakeFirstOrThrow();
      assert.notEqual(runnerRow.token_hash, registered.runnerToken);
      assert.deepEqual(await findRunnerByToken(store, registered.runnerToken), registered.runner);
      assert.equal(await findRunnerByToken(store, "hgt_unknown"), undefined);
    });

    test("an expired registration token registers nothing", async () => {
      const { store } = await openStoreWithRepository(dialect);
      const { token } = await mintRegistrationToken(store, { ttlMs: -1000 });
      assert.equal(
        await registerRunner(store, { registrationToken: token, name: "late", labels: [] }),
        undefined,
      );
    });

    test("insertQueuedJob stores the request and labels, records job:queued, and getJob reads them back", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const job = await queueJob(store, repositoryId, "build", ["Linux", "GPU"]);
      const read = await getJob(store, job.id);
      assert.ok(read);
      assert.equal(read.status, "queued");
      assert.deepEqual(read.runsOn, ["gpu", "linux"]);
      assert.deepEqual(read.request, { jobId: "build", contexts: { matrix: { n: 1 } } });
      assert.equal(read.cancelRequestedAt, null);
      assert.deepEqual(
        (await listJobEvents(store, job.id)).map((event) => event.action),
        ["job:queued"],
      );
      assert.equal(await getJob(store, job.id + 1000), undefined);
    });

    test("cancelJob completes a queued job as cancelled and flags a running one for its runner", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const queued = await queueJob(store, repositoryId, "a");
      const cancelled = await cancelJob(store, queued.id);
      assert.equal(cancelled.status, "completed");
      assert.equal(cancelled.conclusion, "cancelled");
      assert.equal(cancelled.stopReason, "cancelled");

      const running = await queueJob(store, repositoryId, "b");
      const claimed = await claimJob(store, { runnerId: "7", labels: ["linux"], leaseMs: 60_000 });
      assert.equal(claimed?.id, running.id);
      const flagged = await cancelJob(store, running.id);
      assert.equal(flagged.status, "in_progress");
      assert.ok(flagged.cancelRequestedAt);
      assert.ok(
        (await listJobEvents(store, running.id)).some((event) => event.action === "job:cancel-requested"),
      );
      await assert.rejects(cancelJob(store, running.id + 1000), (error: unknown) => {
        return error instanceof StoreError && error.code === "STORE_NOT_FOUND";
      });
    });

    test("recordStepEvents stores a resent batch once and only for the lease owner", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const job = await queueJob(store, repositoryId);
      await claimJob(store, { runnerId: "7", labels: ["linux"], leaseMs: 60_000 });
      const events = [
        { seq: 1, action: "step:started" as const, payload: { step: { index: 0 }, logSeq: 0 } },
        { seq: 2, action: "step:finished" as const, payload: { step: { index: 0 }, logSeq: 1 } },
      ];
      assert.deepEqual(await recordStepEvents(store, { jobId: job.id, runnerId: "7", events }), {
        ackSeq: 2,
      });
      assert.deepEqual(await recordStepEvents(store, { jobId: job.id, runnerId: "7", events }), {
        ackSeq: 2,
      });
      const stored = (await listJobEvents(store, job.id)).filter((event) => event.action.startsWith("step:"));
      assert.deepEqual(
        stored.map((event) => [event.action, event.payload["seq"], event.payload["claim"]]),
        [
          ["step:started", 1, 1],
          ["step:finished", 2, 1],
        ],
      );
      await assert.rejects(
        recordStepEvents(store, { jobId: job.id, runnerId: "8", events }),
        (error: unknown) => {
          return error instanceof StoreError && error.code === "QUEUE_LEASE_LOST";
        },
      );
    });

    test("getLogTail gives the last seq and the byte offset after it", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const job = await queueJob(store, repositoryId);
      assert.deepEqual(await getLogTail(store, job.id), { seq: 0, nextOffset: 0 });
      await appendLogChunks(store, job.id, [
        { seq: 1, byteOffset: 0, text: "héllo\n" },
        { seq: 2, byteOffset: 7, text: "world\n" },
      ]);
      assert.deepEqual(await getLogTail(store, job.id), { seq: 2, nextOffset: 13 });
    });
  });
}
