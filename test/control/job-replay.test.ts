// The queue dispatch's replay of a job requeued after its runner was lost: the lost runner's steps, one marked start
// over (a system line and job:requeued), then the next runner's steps, read in one round or as they arrive.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JobEvents, JobRef } from "../../src/runner/index.js";
import { JobReplay } from "../../src/control/queue-dispatch.js";
import {
  appendLogChunks,
  claimJob,
  mintRegistrationToken,
  recordStepEvents,
  registerRunner,
  requeueExpiredLeases,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "../store/test-stores.js";

const ref: JobRef = { jobId: "build", key: "build", name: "build", index: 0 };

/** Chunks and step events of one claim, as a runner sends them: each event's logSeq is the last chunk before it. */
async function runClaim(
  store: Store,
  jobRowId: number,
  runnerId: string,
  claim: { firstSeq: number; who: string; isLost: boolean },
) {
  let seq = claim.firstSeq;
  let eventSeq = 0;
  const chunk = async (text: string) => {
    seq += 1;
    await appendLogChunks(store, jobRowId, [{ seq, byteOffset: seq * 100, text: `${text}\n` }]);
  };
  const event = async (action: "step:started" | "step:finished", index: number) => {
    eventSeq += 1;
    const step = { index, id: `s${index}`, name: `step ${index}` };
    const payload =
      action === "step:started"
        ? { step }
        : { step, outcome: "success", conclusion: "success", durationMs: 1 };
    await recordStepEvents(store, {
      jobId: jobRowId,
      runnerId,
      events: [{ seq: eventSeq, action, payload: { ...payload, logSeq: seq } }],
    });
  };
  await event("step:started", 1);
  await chunk(`one from ${claim.who}`);
  await event("step:finished", 1);
  await event("step:started", 2);
  await chunk(`two from ${claim.who}`);
  if (!claim.isLost) await event("step:finished", 2);
}

/** Each emitted event as a short string: `started s1`, `finished s1`, `line s1: text`, `requeued`. */
function recorder() {
  const seen: string[] = [];
  const emit = <E extends keyof JobEvents>(event: E, payload: JobEvents[E]) => {
    const p = payload as Partial<JobEvents["log:line"] & JobEvents["step:started"]>;
    if (event === "log:line") seen.push(`line ${p.step?.id ?? "-"}: ${p.line!.text}`);
    else if (event === "job:requeued") seen.push("requeued");
    else seen.push(`${event === "step:started" ? "started" : "finished"} ${p.step!.id}`);
  };
  return { seen, emit };
}

const expected = [
  "started s1",
  "line s1: one from first",
  "finished s1",
  "started s2",
  "line s2: two from first",
  "line -: the runner stopped renewing its lease; the job went back to the queue and starts over",
  "requeued",
  "started s1",
  "line s1: one from second",
  "finished s1",
  "started s2",
  "line s2: two from second",
  "finished s2",
];

for (const dialect of DIALECTS) {
  describe(`replaying a requeued job (${dialect})`, () => {
    for (const mode of ["as it arrives", "in one round"] as const) {
      test(`the next runner's steps follow one start-over mark (${mode})`, async () => {
        const { store, repositoryId } = await openStoreWithRepository(dialect);
        const { jobs } = await insertTestRun(store, repositoryId, [
          { key: "build", jobId: "build", name: "build", runsOn: ["linux"] },
        ]);
        const jobRowId = jobs[0]!.id;
        const { token } = await mintRegistrationToken(store, { ttlMs: 60_000 });
        const { runner } = (await registerRunner(store, {
          registrationToken: token,
          name: "r",
          labels: ["linux"],
        }))!;
        const { seen, emit } = recorder();
        const replay = new JobReplay(ref, emit);
        await claimJob(store, { runnerId: runner.id, labels: runner.labels, leaseMs: 60_000 });
        await runClaim(store, jobRowId, runner.id, { firstSeq: 0, who: "first", isLost: true });
        if (mode === "as it arrives") await replay.catchUp(store, jobRowId);
        // The runner is lost: its lease lapses and the sweeper requeues the job; the next claim continues the log.
        await store.db.updateTable("jobs").set({ lease_expires_at: "2000-01-01T00:00:00.000Z" }).execute();
        await requeueExpiredLeases(store);
        if (mode === "as it arrives") await replay.catchUp(store, jobRowId);
        await claimJob(store, { runnerId: runner.id, labels: runner.labels, leaseMs: 60_000 });
        await runClaim(store, jobRowId, runner.id, { firstSeq: 2, who: "second", isLost: false });
        await replay.catchUp(store, jobRowId);
        assert.deepEqual(seen, expected);
      });
    }
  });
}
