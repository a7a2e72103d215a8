// The API's store reads on both dialects: steps written with step events (idempotent, replaced by a later claim),
// runners online/busy, repositories without secrets, deliveries, job waits and the schema version.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  claimJob,
  clearJobWaits,
  getSchemaVersion,
  insertRepository,
  claimDeliveries,
  enqueueDelivery,
  listDeliveries,
  listJobSteps,
  listJobWaits,
  listRepositorySummaries,
  listRunners,
  markRunnerSeen,
  MIGRATIONS,
  mintRegistrationToken,
  recordIntakeRuns,
  recordJobWait,
  recordStepEvents,
  registerRunner,
  requeueExpiredLeases,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository, testRunInput } from "./test-stores.js";

async function newRunner(store: Store, name: string, labels: string[]) {
  const { token } = await mintRegistrationToken(store, { ttlMs: 60_000 });
  const registered = await registerRunner(store, { registrationToken: token, name, labels });
  assert.ok(registered);
  return registered;
}

const step = (index: number, name: string) => ({ step: { index, id: `s${index}`, name } });
const finished = { outcome: "success", conclusion: "success" };

for (const dialect of DIALECTS) {
  describe(`API queries (${dialect})`, () => {
    test("steps follow step events, are numbered by start order, and a resent batch changes nothing", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { jobs } = await insertTestRun(store, repositoryId, [
        { key: "build", jobId: "build", name: "build", runsOn: ["linux"] },
      ]);
      const { runner } = await newRunner(store, "r1", ["linux"]);
      const job = await claimJob(store, { runnerId: runner.id, labels: runner.labels, leaseMs: 60_000 });
      assert.equal(job?.id, jobs[0]!.id);
      // A pre step shares its main step's index 0: numbers come from the order steps start, not the index.
      const batch = [
        { seq: 1, action: "step:started" as const, payload: step(0, "Pre Run octo/setup@v1") },
        {
          seq: 2,
          action: "step:finished" as const,
          payload: { ...step(0, "Pre Run octo/setup@v1"), ...finished },
        },
        { seq: 3, action: "step:started" as const, payload: step(0, "Run octo/setup@v1") },
      ];
      await recordStepEvents(store, { jobId: job.id, runnerId: runner.id, events: batch });
      await recordStepEvents(store, { jobId: job.id, runnerId: runner.id, events: batch });
      let steps = await listJobSteps(store, [job.id]);
      assert.deepEqual(
        steps.map((s) => [s.number, s.name, s.status, s.conclusion]),
        [
          [1, "Pre Run octo/setup@v1", "completed", "success"],
          [2, "Run octo/setup@v1", "in_progress", null],
        ],
      );
      assert.ok(steps[0]!.startedAt && steps[0]!.finishedAt && steps[1]!.startedAt && !steps[1]!.finishedAt);
      await recordStepEvents(store, {
        jobId: job.id,
        runnerId: runner.id,
        events: [
          {
            seq: 4,
            action: "step:finished",
            payload: { ...step(0, "Run octo/setup@v1"), outcome: "failure", conclusion: "success" },
          },
        ],
      });
      steps = await listJobSteps(store, [job.id]);
      assert.deepEqual(
        [steps[1]!.status, steps[1]!.outcome, steps[1]!.conclusion],
        ["completed", "failure", "success"],
      );

      // The runner is lost; the next claim runs the job afresh and its steps replace the first claim's.
      await store.db.updateTable("jobs").set({ lease_expires_at: "2000-01-01T00:00:00.000Z" }).execute();
      await requeueExpiredLeases(store);
      const again = await claimJob(store, { runnerId: runner.id, labels: runner.labels, leaseMs: 60_000 });
      assert.equal(again?.id, job.id);
      await recordStepEvents(store, {
        jobId: job.id,
        runnerId: runner.id,
        events: [{ seq: 1, action: "step:started", payload: step(0, "Run octo/setup@v1") }],
      });
      steps = await listJobSteps(store, [job.id]);
      assert.deepEqual(
        steps.map((s) => [s.number, s.name, s.status]),
        [[1, "Run octo/setup@v1", "in_progress"]],
      );
    });

    test("runners are online once seen, busy while they hold a job, and paginate newest first", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await insertTestRun(store, repositoryId, [{ key: "gpu", jobId: "gpu", name: "gpu", runsOn: ["gpu"] }]);
      const idle = await newRunner(store, "idle", ["linux"]);
      const busy = await newRunner(store, "busy", ["gpu", "linux"]);
      await newRunner(store, "never", ["linux"]);
      await markRunnerSeen(store, idle.runnerToken);
      await markRunnerSeen(store, busy.runnerToken);
      const claimed = await claimJob(store, {
        runnerId: busy.runner.id,
        labels: busy.runner.labels,
        leaseMs: 60_000,
      });
      assert.ok(claimed);

      const all = await listRunners(store);
      assert.deepEqual(
        all.runners.map((r) => [r.name, r.isOnline, r.busyJobId]),
        [
          ["never", false, null],
          ["busy", true, claimed.id],
          ["idle", true, null],
        ],
      );
      const online = await listRunners(store, { isOnline: true, limit: Infinity });
      assert.deepEqual(
        online.runners.map((r) => r.name),
        ["busy", "idle"],
      );
      const first = await listRunners(store, { limit: 2 });
      assert.deepEqual(
        first.runners.map((r) => r.name),
        ["never", "busy"],
      );
      const second = await listRunners(store, { limit: 2, cursor: first.nextCursor });
      assert.deepEqual([second.runners.map((r) => r.name), second.nextCursor], [["idle"], undefined]);
      // Seen long ago is offline.
      await store.db
        .updateTable("runners")
        .set({ last_seen_at: "2000-01-01T00:00:00.000Z" })
        .where("name", "=", "idle")
        .execute();
      assert.deepEqual(
        (await listRunners(store, { isOnline: false })).runners.map((r) => r.name),
        ["never", "idle"],
      );
    });

    test("repositories list without secrets; deliveries show the runs they created", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await insertRepository(store, {
        name: "octo/signed",
        gitUrl: "/srv/signed.git",
        webhookSecret: "s3cret-value",
      });
      const page = await listRepositorySummaries(store, { limit: 1 });
      assert.deepEqual(
        page.repositories.map((r) => [r.name, r.hasWebhookSecret]),
        [["octo/signed", true]],
      );
      assert.ok(!JSON.stringify(page).includes("s3cret-value"));
      const rest = await listRepositorySummaries(store, { cursor: page.nextCursor });
      assert.deepEqual(
        rest.repositories.map((r) => [r.name, r.hasWebhookSecret]),
        [["octo/app", false]],
      );

      await enqueueDelivery(store, { deliveryId: "d-1", event: "push", repositoryId, payload: {} });
      const [claimed] = await claimDeliveries(store, { owner: "s", leaseMs: 60_000, limit: 1 });
      const { triggered } = await recordIntakeRuns(
        store,
        { triggered: [testRunInput(repositoryId)], invalid: [], findings: { skipped: [], invalid: [] } },
        { id: claimed!.id, deliveryId: "d-1", owner: "s" },
      );
      await enqueueDelivery(store, { deliveryId: "d-2", event: "workflow_run", repositoryId, payload: {} });
      const deliveries = await listDeliveries(store);
      assert.deepEqual(
        deliveries.deliveries.map((d) => [d.deliveryId, d.event, d.status, d.runIds]),
        [
          ["d-2", "workflow_run", "queued", []],
          ["d-1", "push", "handled", [triggered[0]!.id]],
        ],
      );
      assert.deepEqual(
        (await listDeliveries(store, { event: "push" })).deliveries.map((d) => d.deliveryId),
        ["d-1"],
      );
    });

    test("job waits are recorded, replaced by a newer reason, and cleared by key or for the whole attempt", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const target = { runId: run.id, attempt: 1 };
      await recordJobWait(store, {
        ...target,
        key: "test",
        jobId: "test",
        name: "test",
        reason: "needs",
        detail: ["build"],
      });
      await recordJobWait(store, {
        ...target,
        key: "deploy",
        jobId: "deploy",
        name: "deploy",
        reason: "needs",
        detail: ["test"],
      });
      await recordJobWait(store, {
        ...target,
        key: "test",
        jobId: "test",
        name: "test",
        reason: "concurrency",
        detail: "ci-main",
      });
      let waits = await listJobWaits(store, run.id);
      assert.deepEqual(waits.map((w) => [w.key, w.reason, w.detail]).sort(), [
        ["deploy", "needs", ["test"]],
        ["test", "concurrency", "ci-main"],
      ]);
      await clearJobWaits(store, { ...target, keys: ["test"] });
      waits = await listJobWaits(store, run.id);
      assert.deepEqual(
        waits.map((w) => w.key),
        ["deploy"],
      );
      await clearJobWaits(store, target);
      assert.deepEqual(await listJobWaits(store, run.id), []);
      await assert.rejects(
        store.db
          .insertInto("job_waits")
          .values({
            ...{ run_id: run.id, attempt: 1, job_key: "x", job_id: "x", name: "x", detail: "[]" },
            reason: "gate" as never,
          })
          .execute(),
      );
    });

    test("the schema version is this code's latest migration", async () => {
      const { store } = await openStoreWithRepository(dialect);
      assert.equal(await getSchemaVersion(store), Math.max(...MIGRATIONS.map((m) => m.version)));
    });
  });
}
