// Concurrency slots on both dialects: one running and one pending holder per repository and group, a newer pending
// holder replacing (and cancelling) the older, cancel-in-progress, releases, and a completing run leaving its groups.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  acquireConcurrencySlot,
  getJob,
  insertQueuedJob,
  insertRepository,
  listConcurrencySlots,
  listenForConcurrency,
  releaseConcurrencySlot,
  transitionRun,
  type ConcurrencyHolder,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

const group = { groupKey: "deploy", groupName: "Deploy" };

function runHolder(runId: number): ConcurrencyHolder {
  return { runId, attempt: 1, jobKey: null };
}

async function newRun(store: Store, repositoryId: number): Promise<number> {
  return (await insertTestRun(store, repositoryId)).run.id;
}

async function slotOf(store: Store, repositoryId: number) {
  const [slot] = await listConcurrencySlots(store, [{ repositoryId, groupKey: group.groupKey }]);
  return slot;
}

async function isCancelRequested(store: Store, runId: number): Promise<boolean> {
  const row = await store.db
    .selectFrom("runs")
    .select("cancel_requested_at")
    .where("id", "=", runId)
    .executeTakeFirstOrThrow();
  return row.cancel_requested_at !== null;
}

async function countEvents(store: Store, action: string, runId: number): Promise<number> {
  const rows = await store.db
    .selectFrom("events")
    .select("id")
    .where("action", "=", action)
    .where("resource_type", "=", "run")
    .where("resource_id", "=", String(runId))
    .execute();
  return rows.length;
}

for (const dialect of DIALECTS) {
  describe(`concurrency slots (${dialect})`, () => {
    test("the newest pending run wins: the older pending run's cancel is requested; a release admits the newest", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second, third] = [
        await newRun(store, repositoryId),
        await newRun(store, repositoryId),
        await newRun(store, repositoryId),
      ];
      const acquire = (runId: number) =>
        acquireConcurrencySlot(store, {
          repositoryId,
          ...group,
          holder: runHolder(runId),
          cancelInProgress: false,
        });
      // 1. first runs, 2. second waits, 3. third replaces second, whose run gets the durable cancel request.
      assert.equal((await acquire(first)).state, "running");
      assert.equal((await acquire(second)).state, "pending");
      const replacing = await acquire(third);
      assert.deepEqual([replacing.state, replacing.cancelledRuns], ["pending", [second]]);
      assert.equal(await isCancelRequested(store, second), true);
      assert.equal(await isCancelRequested(store, first), false, "first keeps running");
      assert.equal(await countEvents(store, "concurrency:replaced", second), 1);
      // 4. Acquiring again keeps each holder's place (a resumed run).
      assert.equal((await acquire(first)).state, "running");
      assert.equal((await acquire(third)).state, "pending");
      // 5. first's release makes third the running holder.
      await releaseConcurrencySlot(store, {
        repositoryId,
        groupKey: group.groupKey,
        holder: runHolder(first),
      });
      const slot = await slotOf(store, repositoryId);
      assert.deepEqual([slot?.running, slot?.pending], [runHolder(third), null]);
      assert.equal(await countEvents(store, "concurrency:admitted", third), 1);
      await releaseConcurrencySlot(store, {
        repositoryId,
        groupKey: group.groupKey,
        holder: runHolder(third),
      });
      assert.equal(await slotOf(store, repositoryId), undefined);
    });

    test("cancel-in-progress requests the running run's cancel and flags its slot", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second] = [await newRun(store, repositoryId), await newRun(store, repositoryId)];
      await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: runHolder(first),
        cancelInProgress: true,
      });
      const cancelling = await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: runHolder(second),
        cancelInProgress: true,
      });
      assert.deepEqual([cancelling.state, cancelling.cancelledRuns], ["pending", [first]]);
      assert.equal(await isCancelRequested(store, first), true);
      assert.equal((await slotOf(store, repositoryId))?.isRunningCancelRequested, true);
      // The holder acquiring again (resumed elsewhere) learns it was asked to stop.
      const again = await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: runHolder(first),
        cancelInProgress: true,
      });
      assert.deepEqual([again.state, again.isCancelRequested], ["running", true]);
    });

    test("a job holder's queued job is cancelled by cancel-in-progress; a finished job re-acquires nothing", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second] = [await newRun(store, repositoryId), await newRun(store, repositoryId)];
      const jobHolder = (runId: number): ConcurrencyHolder => ({ runId, attempt: 1, jobKey: "deploy" });
      await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: jobHolder(first),
        cancelInProgress: true,
      });
      const job = await insertQueuedJob(store, {
        runId: first,
        attempt: 1,
        key: "deploy",
        jobId: "deploy",
        name: "deploy",
        runsOn: [],
        request: {},
      });
      const cancelling = await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: jobHolder(second),
        cancelInProgress: true,
      });
      assert.deepEqual(
        cancelling.cancelledJobs.map((j) => j.id),
        [job.id],
      );
      const cancelled = await getJob(store, job.id);
      assert.deepEqual([cancelled?.status, cancelled?.conclusion], ["completed", "cancelled"]);
      assert.equal(await isCancelRequested(store, first), false, "only the job is cancelled");
      // The cancelled job's run, resumed, acquires for a job that already completed: it holds nothing.
      const again = await acquireConcurrencySlot(store, {
        repositoryId,
        ...group,
        holder: jobHolder(first),
        cancelInProgress: true,
      });
      assert.equal(again.state, "finished");
    });

    test("a completing run leaves every group it holds or waits in, and the pending holder is woken", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second] = [await newRun(store, repositoryId), await newRun(store, repositoryId)];
      for (const runId of [first, second]) {
        await acquireConcurrencySlot(store, {
          repositoryId,
          ...group,
          holder: runHolder(runId),
          cancelInProgress: false,
        });
      }
      let onWake = () => {};
      const woken = new Promise<void>((resolve) => (onWake = resolve));
      const listener = await listenForConcurrency(store, () => onWake(), { safetyPollMs: 3_600_000 });
      try {
        await transitionRun(store, first, { to: "completed", conclusion: "failure" });
        await woken;
      } finally {
        await listener.close();
      }
      assert.deepEqual((await slotOf(store, repositoryId))?.running, runHolder(second));
      await transitionRun(store, second, { to: "completed", conclusion: "success" });
      assert.equal(await slotOf(store, repositoryId), undefined);
    });

    test("the same group name in two repositories are two groups", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const other = await insertRepository(store, {
        name: "octo/other",
        gitUrl: "https://example.test/other",
      });
      const [mine, theirs] = [await newRun(store, repositoryId), await newRun(store, other.id)];
      for (const [repo, runId] of [
        [repositoryId, mine],
        [other.id, theirs],
      ] as const) {
        const acquired = await acquireConcurrencySlot(store, {
          repositoryId: repo,
          ...group,
          holder: runHolder(runId),
          cancelInProgress: true,
        });
        assert.equal(acquired.state, "running");
      }
    });
  });
}
