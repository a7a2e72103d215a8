// Runs on both dialects: insert-run numbering (also concurrent), reads, list filters and pagination, and the views.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { getRun, insertRun, listRuns, StoreError, type Store } from "../../src/store/index.js";
import { DIALECTS, openStoreWithRepository } from "./test-stores.js";

function queueRun(store: Store, repositoryId: number, workflowFile = "ci.yml", event = "push") {
  return insertRun(store, {
    repositoryId,
    workflowFile,
    workflowName: workflowFile,
    event,
    sha: "e".repeat(40),
    ref: "refs/heads/main",
    actor: "octocat",
    payload: { after: "e".repeat(40) },
    concurrencyGroup: "ci-main",
    jobs: [
      { key: "test (20)", jobId: "test", name: "test (20)", matrix: { node: 20 }, runsOn: ["Linux"] },
      { key: "report", jobId: "report", name: "report", runsOn: [], needs: ["test"], status: "waiting" },
    ],
  });
}

for (const dialect of DIALECTS) {
  describe(`runs (${dialect})`, () => {
    test("insert-run stores the run, its jobs and a run:queued event; get-run reads them back", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run, jobs } = await queueRun(store, repositoryId);
      const read = await getRun(store, run.id);
      assert.deepEqual(read, { run, jobs });
      assert.equal(run.status, "queued");
      assert.equal(run.runNumber, 1);
      assert.deepEqual(run.payload, { after: "e".repeat(40) });
      assert.match(run.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(
        jobs.map((job) => [job.key, job.status, job.runsOn, job.needs, job.matrix]),
        [
          ["test (20)", "queued", ["linux"], [], { node: 20 }],
          ["report", "waiting", [], ["test"], null],
        ],
      );
      const events = await store.db.selectFrom("events").selectAll().execute();
      assert.deepEqual(
        events.map((event) => [event.action, event.resource_type, event.resource_id]),
        [["run:queued", "run", String(run.id)]],
      );
      assert.equal(await getRun(store, 999_999), undefined);
    });

    test("run numbers count per workflow, also when runs are inserted concurrently", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const inserted = await Promise.all(Array.from({ length: 20 }, () => queueRun(store, repositoryId)));
      assert.deepEqual(
        inserted.map(({ run }) => run.runNumber).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const other = await queueRun(store, repositoryId, "release.yml");
      assert.equal(other.run.runNumber, 1);
    });

    test("duplicate job keys are refused before anything is written", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const run = {
        repositoryId,
        workflowFile: "ci.yml",
        workflowName: "CI",
        event: "push",
        sha: "f",
        ref: "r",
        actor: "a",
        payload: {},
        jobs: [
          { key: "a", jobId: "a", name: "a", runsOn: [] },
          { key: "a", jobId: "a", name: "a", runsOn: [] },
        ],
      };
      await assert.rejects(insertRun(store, run), (error) => error instanceof StoreError);
      assert.equal((await listRuns(store)).runs.length, 0);
    });

    test("list-runs filters and pages newest first without repeats", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      for (let i = 0; i < 5; i++)
        await queueRun(store, repositoryId, "ci.yml", i % 2 === 0 ? "push" : "pull_request");
      const seen: number[] = [];
      let cursor: number | undefined;
      do {
        const page = await listRuns(store, { repositoryId, limit: 2, cursor });
        seen.push(...page.runs.map((run) => run.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.equal(seen.length, 5);
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => b - a),
      );
      const pushes = await listRuns(store, { event: "push" });
      assert.deepEqual(
        pushes.runs.map((run) => run.runNumber),
        [5, 3, 1],
      );
      assert.equal((await listRuns(store, { status: "completed" })).runs.length, 0);
    });

    test("runs_view and jobs_view show the run with its repository name", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await queueRun(store, repositoryId);
      const { rows: runs } = await sql<{ run_id: number; repository: string; status: string }>`
        select run_id, repository, status from runs_view`.execute(store.db);
      assert.deepEqual(runs, [{ run_id: run.id, repository: "octo/app", status: "queued" }]);
      const { rows: jobs } = await sql<{ job_key: string }>`
        select job_key from jobs_view where run_id = ${run.id} order by job_row_id`.execute(store.db);
      assert.deepEqual(
        jobs.map((job) => job.job_key),
        ["test (20)", "report"],
      );
      const { rows: events } = await sql<{ action: string }>`select action from events_view`.execute(
        store.db,
      );
      assert.deepEqual(events, [{ action: "run:queued" }]);
    });
  });
}
