// The job queue on both dialects: concurrent claims, label routing, leases, completion and the sweeper.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  claimJob,
  completeJob,
  getRun,
  insertRun,
  renewLease,
  requeueExpiredLeases,
  type NewJobInput,
  type Store,
} from "../../src/store/index.js";
import { createTestDatabase, DIALECTS, openStoreWithRepository, runStoreProcesses } from "./test-stores.js";
import { openStore, insertRepository } from "../../src/store/index.js";

function jobs(count: number, runsOn: string[] = ["linux"]): NewJobInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `job-${i}`,
    jobId: `job-${i}`,
    name: `job ${i}`,
    runsOn,
  }));
}

async function queueRun(store: Store, repositoryId: number, jobInputs: NewJobInput[]) {
  return insertRun(store, {
    repositoryId,
    workflowFile: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: "push",
    sha: "a".repeat(40),
    ref: "refs/heads/main",
    actor: "octocat",
    payload: {},
    jobs: jobInputs,
  });
}

/** Moves a lease into the past, as if its runner went silent long ago (never sleep in tests). */
async function expireLease(store: Store, jobId: number) {
  await store.db
    .updateTable("jobs")
    .set({ lease_expires_at: "2000-01-01T00:00:00.000Z" })
    .where("id", "=", jobId)
    .execute();
}

for (const dialect of DIALECTS) {
  describe(`queue (${dialect})`, () => {
    test("8 processes claiming 200 jobs at once claim every job exactly once", async () => {
      const database = await createTestDatabase(dialect);
      const store = await openStore(database.options);
      try {
        const repository = await insertRepository(store, {
          name: "octo/load",
          gitUrl: "https://example.test/load.git",
        });
        const { jobs: queued } = await queueRun(store, repository.id, jobs(200));
        const results = await runStoreProcesses(8, {
          kind: "claim",
          options: database.options,
          labels: ["linux"],
        });
        const claimed = results.flatMap((result) => {
          assert.equal(result.code, 0, result.stderr);
          return (JSON.parse(result.stdout) as { claimed: number[] }).claimed;
        });
        assert.equal(claimed.length, 200);
        assert.deepEqual(
          [...claimed].sort((a, b) => a - b),
          queued.map((job) => job.id),
        );
        const events = await store.db
          .selectFrom("events")
          .select("resource_id")
          .where("action", "=", "job:started")
          .execute();
        assert.equal(events.length, 200);
      } finally {
        await store.close();
      }
    });

    test("a runner lacking one of a job's labels never gets it; labels compare case-insensitively", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { jobs: queued } = await queueRun(store, repositoryId, [
        { key: "gpu", jobId: "gpu", name: "gpu", runsOn: ["self-hosted", "Linux", "gpu"] },
        { key: "plain", jobId: "plain", name: "plain", runsOn: ["self-hosted", "linux"] },
      ]);
      const first = await claimJob(store, {
        runnerId: "r1",
        labels: ["self-hosted", "linux", "x64"],
        leaseMs: 60_000,
      });
      assert.equal(first?.key, "plain");
      assert.equal(
        await claimJob(store, { runnerId: "r1", labels: ["self-hosted", "linux", "x64"], leaseMs: 60_000 }),
        undefined,
      );
      const gpu = await claimJob(store, {
        runnerId: "r2",
        labels: ["SELF-HOSTED", "linux", "GPU", "x64"],
        leaseMs: 60_000,
      });
      assert.equal(gpu?.id, queued[0]!.id);
      assert.equal(gpu?.status, "in_progress");
      assert.equal(gpu?.leaseOwner, "r2");
    });

    test("the oldest queued job is claimed first; waiting jobs are never claimed", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await queueRun(store, repositoryId, [
        { key: "held", jobId: "held", name: "held", runsOn: [], status: "waiting" },
      ]);
      const { jobs: later } = await queueRun(store, repositoryId, jobs(2, []));
      assert.equal((await claimJob(store, { runnerId: "r", labels: [], leaseMs: 1000 }))?.id, later[0]!.id);
      assert.equal((await claimJob(store, { runnerId: "r", labels: [], leaseMs: 1000 }))?.id, later[1]!.id);
      assert.equal(await claimJob(store, { runnerId: "r", labels: [], leaseMs: 1000 }), undefined);
    });

    test("only the lease owner renews or completes; others get QUEUE_LEASE_LOST", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await queueRun(store, repositoryId, jobs(1));
      const job = (await claimJob(store, { runnerId: "owner", labels: ["linux"], leaseMs: 1000 }))!;
      const renewed = await renewLease(store, { jobId: job.id, runnerId: "owner", leaseMs: 3_600_000 });
      assert.ok(renewed > job.leaseExpiresAt!, `${renewed} should be after ${job.leaseExpiresAt}`);
      await assert.rejects(renewLease(store, { jobId: job.id, runnerId: "intruder", leaseMs: 1000 }), {
        code: "QUEUE_LEASE_LOST",
      });
      await assert.rejects(
        completeJob(store, { jobId: job.id, runnerId: "intruder", conclusion: "success" }),
        {
          code: "QUEUE_LEASE_LOST",
        },
      );
      const done = await completeJob(store, {
        jobId: job.id,
        runnerId: "owner",
        conclusion: "success",
        outputs: { out: "1" },
      });
      assert.equal(done.status, "completed");
      assert.equal(done.conclusion, "success");
      assert.deepEqual(done.outputs, { out: "1" });
      assert.equal(done.leaseOwner, null);
      // Completed: the owner can neither renew nor complete again.
      await assert.rejects(renewLease(store, { jobId: job.id, runnerId: "owner", leaseMs: 1000 }), {
        code: "QUEUE_LEASE_LOST",
      });
      await assert.rejects(completeJob(store, { jobId: job.id, runnerId: "owner", conclusion: "failure" }), {
        code: "STORE_ILLEGAL_TRANSITION",
      });
      const finished = await store.db
        .selectFrom("events")
        .selectAll()
        .where("action", "=", "job:finished")
        .execute();
      assert.equal(finished.length, 1);
      assert.equal((JSON.parse(finished[0]!.payload) as { conclusion: string }).conclusion, "success");
    });

    test("the sweeper requeues an expired lease, leaves live ones, and the old owner cannot complete", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await queueRun(store, repositoryId, jobs(2));
      const lost = (await claimJob(store, { runnerId: "gone", labels: ["linux"], leaseMs: 60_000 }))!;
      const live = (await claimJob(store, { runnerId: "alive", labels: ["linux"], leaseMs: 60_000 }))!;
      assert.deepEqual(await requeueExpiredLeases(store), { requeued: [], lost: [] });
      await expireLease(store, lost.id);
      const swept = await requeueExpiredLeases(store);
      assert.deepEqual(
        swept.requeued.map((job) => [job.id, job.status, job.leaseOwner]),
        [[lost.id, "queued", null]],
      );
      await assert.rejects(completeJob(store, { jobId: lost.id, runnerId: "gone", conclusion: "success" }), {
        code: "QUEUE_LEASE_LOST",
      });
      const again = await claimJob(store, { runnerId: "next", labels: ["linux"], leaseMs: 60_000 });
      assert.equal(again?.id, lost.id);
      assert.equal(again?.claimCount, 2);
      const run = await getRun(store, live.runId);
      assert.equal(run?.jobs.find((job) => job.id === live.id)?.leaseOwner, "alive");
    });

    test("after max attempts an expired lease fails the job as runner_lost", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await queueRun(store, repositoryId, jobs(1));
      for (let attempt = 1; attempt <= 2; attempt++) {
        const job = (await claimJob(store, { runnerId: `r${attempt}`, labels: ["linux"], leaseMs: 60_000 }))!;
        await expireLease(store, job.id);
        const swept = await requeueExpiredLeases(store, { maxAttempts: 2 });
        if (attempt === 1) assert.equal(swept.requeued.length, 1);
        else {
          assert.equal(swept.lost.length, 1);
          assert.equal(swept.lost[0]!.status, "completed");
          assert.equal(swept.lost[0]!.conclusion, "failure");
          assert.equal(swept.lost[0]!.stopReason, "runner_lost");
        }
      }
      assert.equal(await claimJob(store, { runnerId: "r3", labels: ["linux"], leaseMs: 60_000 }), undefined);
    });
  });
}
