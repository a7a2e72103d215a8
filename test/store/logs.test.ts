// Log chunks on both dialects: idempotent storage and acknowledgement by the highest contiguous seq.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appendLogChunks, getJobLogs, type LogChunk } from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

function chunk(seq: number): LogChunk {
  return { seq, byteOffset: (seq - 1) * 6, text: `line ${seq}\n` };
}

for (const dialect of DIALECTS) {
  describe(`log chunks (${dialect})`, () => {
    async function openJob() {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { jobs } = await insertTestRun(store, repositoryId, [
        { key: "build", jobId: "build", name: "build", runsOn: [] },
      ]);
      return { store, jobRowId: jobs[0]!.id };
    }

    test("appending the same chunks twice stores them once", async () => {
      const { store, jobRowId } = await openJob();
      assert.deepEqual(await appendLogChunks(store, jobRowId, [chunk(1), chunk(2), chunk(3)]), { ackSeq: 3 });
      assert.deepEqual(await appendLogChunks(store, jobRowId, [chunk(1), chunk(2), chunk(3)]), { ackSeq: 3 });
      // A resend with different text does not overwrite what was stored first.
      await appendLogChunks(store, jobRowId, [{ ...chunk(2), text: "changed\n" }]);
      assert.deepEqual(await getJobLogs(store, jobRowId), [chunk(1), chunk(2), chunk(3)]);
    });

    test("out-of-order chunks are acknowledged up to the highest contiguous seq", async () => {
      const { store, jobRowId } = await openJob();
      assert.deepEqual(await appendLogChunks(store, jobRowId, [chunk(2), chunk(3)]), { ackSeq: 0 });
      assert.deepEqual(await appendLogChunks(store, jobRowId, [chunk(1), chunk(5)]), { ackSeq: 3 });
      assert.deepEqual(await appendLogChunks(store, jobRowId, [chunk(4)]), { ackSeq: 5 });
      assert.deepEqual(await appendLogChunks(store, jobRowId, []), { ackSeq: 5 });
      assert.deepEqual(
        (await getJobLogs(store, jobRowId, { afterSeq: 3 })).map((c) => c.seq),
        [4, 5],
      );
      assert.deepEqual(
        (await getJobLogs(store, jobRowId, { afterSeq: 1, limit: 2 })).map((c) => c.seq),
        [2, 3],
      );
    });
  });
}
