// Wake-ups on both dialects: a job listener is woken by insert-run and by a requeue, and stops when closed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { listenForJobs, type Store } from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

function queueRun(store: Store, repositoryId: number) {
  return insertTestRun(store, repositoryId, [{ key: "build", jobId: "build", name: "build", runsOn: [] }]);
}

for (const dialect of DIALECTS) {
  describe(`job wake-ups (${dialect})`, () => {
    test("insert-run wakes a listener (no poll: the safety net is an hour away)", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      let wakes = 0;
      let onWake = () => {};
      const woken = new Promise<void>((resolve) => (onWake = resolve));
      const listener = await listenForJobs(
        store,
        () => {
          wakes += 1;
          onWake();
        },
        { safetyPollMs: 3_600_000 },
      );
      try {
        assert.equal(wakes, 0);
        await queueRun(store, repositoryId);
        await woken;
        assert.ok(wakes >= 1);
      } finally {
        await listener.close();
      }
    });

    test("a closed listener is not called; a new one is", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      let wakes = 0;
      const listener = await listenForJobs(store, () => (wakes += 1), { safetyPollMs: 3_600_000 });
      await listener.close();
      await queueRun(store, repositoryId);
      // 1. The closed listener missed that run. 2. A fresh listener sees the next one, so delivery was possible.
      let onWake = () => {};
      const woken = new Promise<void>((resolve) => (onWake = resolve));
      const second = await listenForJobs(store, () => onWake(), { safetyPollMs: 3_600_000 });
      try {
        await queueRun(store, repositoryId);
        await woken;
        assert.equal(wakes, 0);
      } finally {
        await second.close();
      }
    });
  });
}
