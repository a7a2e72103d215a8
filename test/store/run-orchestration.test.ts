// Run orchestration on both dialects: claiming, renewing and adopting runs by lease, durable run cancel, job rows
// adopted by key instead of queued twice, and activity notifications between servers (PostgreSQL).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  adoptOrphanedRuns,
  claimJob,
  claimRunOrchestration,
  getJob,
  insertQueuedJob,
  listenForActivity,
  notifyActivity,
  renewRunOrchestration,
  requestRunCancel,
  transitionRun,
  type Activity,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

async function backdateLease(store: Store, runId: number): Promise<void> {
  // Simulates elapsed time by writing an old expiry, never by sleeping.
  await store.db
    .updateTable("runs")
    .set({ orchestrator_lease_expires_at: "2000-01-01T00:00:00.000Z" })
    .where("id", "=", runId)
    .execute();
}

function queue(store: Store, runId: number, key: string) {
  return insertQueuedJob(store, {
    runId,
    attempt: 1,
    key,
    jobId: key,
    name: key,
    runsOn: ["self-hosted"],
    request: { key },
  });
}

async function countEvents(store: Store, action: string, resourceId: number): Promise<number> {
  const rows = await store.db
    .selectFrom("events")
    .select("id")
    .where("action", "=", action)
    .where("resource_id", "=", String(resourceId))
    .execute();
  return rows.length;
}

for (const dialect of DIALECTS) {
  describe(`run orchestration (${dialect})`, () => {
    test("a claimed run is not adopted while its lease lives, and is adopted once it lapses", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const reusedJobs = { build: { outputs: { file: "a" } } };
      assert.deepEqual(
        await claimRunOrchestration(store, { runId: run.id, orchestrator: "a", leaseMs: 60_000, reusedJobs }),
        { isCancelRequested: false },
      );
      // 1. b cannot claim or adopt it. 2. a renews it. 3. Its lease lapses: b adopts it, with what it reuses.
      assert.equal(
        await claimRunOrchestration(store, { runId: run.id, orchestrator: "b", leaseMs: 60_000 }),
        undefined,
      );
      assert.deepEqual(await adoptOrphanedRuns(store, { orchestrator: "b", leaseMs: 60_000 }), []);
      assert.deepEqual(await renewRunOrchestration(store, { orchestrator: "a", leaseMs: 60_000 }), [
        { runId: run.id, isCancelRequested: false },
      ]);
      await backdateLease(store, run.id);
      const adopted = await adoptOrphanedRuns(store, { orchestrator: "b", leaseMs: 60_000 });
      assert.deepEqual(
        adopted.map((a) => [a.run.id, a.previousOrchestrator, a.reusedJobs]),
        [[run.id, "a", reusedJobs]],
      );
      assert.deepEqual(await renewRunOrchestration(store, { orchestrator: "a", leaseMs: 60_000 }), []);
      assert.equal(await countEvents(store, "run:adopted", run.id), 1);
      // A completed run has no orchestrator and is never adopted.
      await transitionRun(store, run.id, { to: "completed", conclusion: "success" });
      await backdateLease(store, run.id);
      assert.deepEqual(await adoptOrphanedRuns(store, { orchestrator: "c", leaseMs: 60_000 }), []);
    });

    test("servers sweeping at once adopt each orphaned run exactly once", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const runIds: number[] = [];
      for (let i = 0; i < 10; i++) runIds.push((await insertTestRun(store, repositoryId)).run.id);
      const sweeps = await Promise.all(
        ["a", "b", "c", "d"].map((orchestrator) =>
          adoptOrphanedRuns(store, { orchestrator, leaseMs: 60_000 }),
        ),
      );
      const adopted = sweeps.flat().map((a) => a.run.id);
      assert.deepEqual(
        [...adopted].sort((x, y) => x - y),
        runIds,
      );
    });

    test("a job key already queued in the run attempt is adopted, not queued again", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const first = await queue(store, run.id, "build");
      await claimJob(store, { runnerId: "r1", labels: ["self-hosted"], leaseMs: 60_000 });
      const again = await queue(store, run.id, "build");
      assert.equal(again.id, first.id);
      assert.equal(again.status, "in_progress");
      assert.equal(await countEvents(store, "job:queued", first.id), 1);
    });

    test("a run cancel is recorded, cancels queued jobs at once and flags running ones", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      await claimRunOrchestration(store, { runId: run.id, orchestrator: "a", leaseMs: 60_000 });
      const running = await queue(store, run.id, "running");
      await claimJob(store, { runnerId: "r1", labels: ["self-hosted"], leaseMs: 60_000 });
      const waiting = await queue(store, run.id, "waiting");
      const { jobs } = await requestRunCancel(store, run.id, { actor: "api" });
      assert.deepEqual(
        jobs.map((job) => [job.key, job.status, job.conclusion, job.cancelRequestedAt !== null]),
        [
          ["running", "in_progress", null, true],
          ["waiting", "completed", "cancelled", true],
        ],
      );
      assert.equal((await getJob(store, waiting.id))?.stopReason, "cancelled");
      assert.ok(running.id < waiting.id);
      assert.equal(await countEvents(store, "run:cancel-requested", run.id), 1);
      // The orchestrator learns it at its renewal; whoever adopts the run learns it too.
      assert.deepEqual(await renewRunOrchestration(store, { orchestrator: "a", leaseMs: 60_000 }), [
        { runId: run.id, isCancelRequested: true },
      ]);
      await backdateLease(store, run.id);
      const [adopted] = await adoptOrphanedRuns(store, { orchestrator: "b", leaseMs: 60_000 });
      assert.equal(adopted?.isCancelRequested, true);
      // A completed run refuses a cancel.
      await transitionRun(store, run.id, { to: "completed", conclusion: "cancelled" });
      await assert.rejects(requestRunCancel(store, run.id), { code: "STORE_ILLEGAL_TRANSITION" });
      await assert.rejects(requestRunCancel(store, run.id + 1000), { code: "STORE_NOT_FOUND" });
    });
  });
}

test("activity notifications reach listeners on other connections (postgres)", async () => {
  const { store } = await openStoreWithRepository("postgres");
  const received: Activity[] = [];
  let onActivity = () => {};
  const arrived = new Promise<void>((resolve) => (onActivity = resolve));
  const listener = await listenForActivity(store, {
    onActivity: (activity) => {
      received.push(activity);
      onActivity();
    },
    onReconnect: () => undefined,
  });
  try {
    await notifyActivity(store, { kind: "job", id: 7, from: "a" });
    await arrived;
    assert.deepEqual(received, [{ kind: "job", id: 7, from: "a" }]);
  } finally {
    await listener.close();
  }
});
