// Status transitions on both dialects: legal ones write the event in the same transaction, illegal ones write nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import {
  insertRun,
  JOB_TRANSITIONS,
  RUN_TRANSITIONS,
  transitionJob,
  transitionRun,
  type Dialect,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, openStoreWithRepository } from "./test-stores.js";

async function queueRun(store: Store, repositoryId: number) {
  return insertRun(store, {
    repositoryId,
    workflowFile: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: "push",
    sha: "b".repeat(40),
    ref: "refs/heads/main",
    actor: "octocat",
    payload: { ref: "refs/heads/main" },
    jobs: [
      { key: "build", jobId: "build", name: "build", runsOn: ["linux"] },
      {
        key: "deploy",
        jobId: "deploy",
        name: "deploy",
        runsOn: ["linux"],
        needs: ["build"],
        status: "waiting",
      },
    ],
  });
}

async function countEvents(store: Store, action: string): Promise<number> {
  const rows = await store.db.selectFrom("events").select("id").where("action", "=", action).execute();
  return rows.length;
}

test("every status in the transition tables appears as a key (no dangling targets)", () => {
  for (const table of [RUN_TRANSITIONS, JOB_TRANSITIONS] as Record<string, readonly string[]>[]) {
    for (const targets of Object.values(table)) for (const to of targets) assert.ok(to in table, to);
  }
});

for (const dialect of DIALECTS) {
  describe(`transitions (${dialect})`, () => {
    test("a run goes queued → in_progress → completed, one event each, with timestamps", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await queueRun(store, repositoryId);
      assert.equal(await countEvents(store, "run:queued"), 1);
      const started = await transitionRun(store, run.id, { to: "in_progress" });
      assert.equal(started.status, "in_progress");
      assert.ok(started.startedAt);
      const finished = await transitionRun(store, run.id, { to: "completed", conclusion: "success" });
      assert.equal(finished.conclusion, "success");
      assert.ok(finished.finishedAt! >= started.startedAt!);
      assert.equal(await countEvents(store, "run:started"), 1);
      assert.equal(await countEvents(store, "run:finished"), 1);
    });

    test("an illegal run transition is rejected and leaves no event", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await queueRun(store, repositoryId);
      await transitionRun(store, run.id, { to: "completed", conclusion: "cancelled" });
      await assert.rejects(transitionRun(store, run.id, { to: "in_progress" }), {
        code: "STORE_ILLEGAL_TRANSITION",
        message: `run ${run.id} cannot go from completed to in_progress; from completed it may go to nothing (it is final)`,
      });
      assert.equal(await countEvents(store, "run:started"), 0);
      await assert.rejects(transitionRun(store, 999_999, { to: "in_progress" }), { code: "STORE_NOT_FOUND" });
    });

    test("a waiting job is queued by a transition; waiting → in_progress is illegal", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { jobs } = await queueRun(store, repositoryId);
      const deploy = jobs.find((job) => job.key === "deploy")!;
      await assert.rejects(
        transitionJob(store, deploy.id, { to: "in_progress", lease: { owner: "r", ms: 1000 } }),
        {
          code: "STORE_ILLEGAL_TRANSITION",
          message: /cannot go from waiting to in_progress; from waiting it may go to queued, completed/,
        },
      );
      assert.equal(await countEvents(store, "job:started"), 0);
      const queued = await transitionJob(store, deploy.id, { to: "queued", actor: "engine", traceId: "t-1" });
      assert.equal(queued.status, "queued");
      const event = await store.db
        .selectFrom("events")
        .selectAll()
        .where("action", "=", "job:queued")
        .executeTakeFirstOrThrow();
      assert.equal(event.resource_type, "job");
      assert.equal(event.resource_id, String(deploy.id));
      assert.equal(event.actor, "engine");
      assert.equal(event.trace_id, "t-1");
    });

    test("a failure after the status write rolls back both the status and its event", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { jobs } = await queueRun(store, repositoryId);
      const build = jobs[0]!;
      // The event insert fails (a trigger added just for this test), so the whole transition must not stick.
      await failEventInserts(store, dialect);
      await assert.rejects(
        transitionJob(store, build.id, { to: "completed", conclusion: "skipped" }),
        /refused/,
      );
      const row = await store.db
        .selectFrom("jobs")
        .select("status")
        .where("id", "=", build.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, "queued");
      assert.equal(await countEvents(store, "job:finished"), 0);
    });
  });
}

/** Makes every insert into events fail, so the test can see the status change roll back with it. */
async function failEventInserts(store: Store, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") {
    await sql`create function refuse_event() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`.execute(
      store.db,
    );
    await sql`create trigger refuse_event before insert on events for each row execute function refuse_event()`.execute(
      store.db,
    );
  } else {
    await sql`create trigger refuse_event before insert on events begin select raise(abort, 'refused'); end`.execute(
      store.db,
    );
  }
}
