// The seeds' SQL views on both dialects, with runs and jobs dated inside and outside their windows (old timestamps
// written directly, never by sleeping).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import type { Store } from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

const daysAgo = (days: number, plusSeconds = 0) =>
  new Date(Date.now() - days * 86_400_000 + plusSeconds * 1000).toISOString();

/** A completed run of ci.yml with one job, started `days` ago and lasting `seconds`. */
async function completedRun(
  store: Store,
  repositoryId: number,
  { days, seconds, conclusion }: { days: number; seconds: number; conclusion: "success" | "failure" },
): Promise<number> {
  const { run, jobs } = await insertTestRun(store, repositoryId, [
    { key: "test", jobId: "test", name: "test", runsOn: ["linux"] },
  ]);
  const times = { started_at: daysAgo(days), finished_at: daysAgo(days, seconds) };
  await store.db
    .updateTable("runs")
    .set({ status: "completed", conclusion, ...times })
    .where("id", "=", run.id)
    .execute();
  await store.db
    .updateTable("jobs")
    .set({ status: "completed", conclusion, runner_id: "7", ...times })
    .where("id", "=", jobs[0]!.id)
    .execute();
  return run.id;
}

for (const dialect of DIALECTS) {
  describe(`audit views (${dialect})`, () => {
    test("run history, failures of the last 7 days and 30-day success rates", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const old = await completedRun(store, repositoryId, { days: 40, seconds: 100, conclusion: "failure" });
      const lastWeek = await completedRun(store, repositoryId, {
        days: 10,
        seconds: 30,
        conclusion: "failure",
      });
      const recentFailure = await completedRun(store, repositoryId, {
        days: 2,
        seconds: 20,
        conclusion: "failure",
      });
      const recentSuccess = await completedRun(store, repositoryId, {
        days: 1,
        seconds: 10,
        conclusion: "success",
      });

      const history = await sql<{ run_id: number; recency: number; duration_seconds: number }>`
        select run_id, recency, duration_seconds from workflow_run_history_view
        where repository = 'octo/app' and workflow_file = 'ci.yml' and recency <= 3 order by recency`.execute(
        store.db,
      );
      assert.deepEqual(
        history.rows.map((row) => [
          Number(row.run_id),
          Number(row.recency),
          Math.round(row.duration_seconds),
        ]),
        [
          [recentSuccess, 1, 10],
          [recentFailure, 2, 20],
          [lastWeek, 3, 30],
        ],
      );

      const failures = await sql<{ run_id: number }>`select run_id from recent_failures_view`.execute(
        store.db,
      );
      assert.deepEqual(
        failures.rows.map((row) => Number(row.run_id)),
        [recentFailure],
      );

      const rates = await sql<{
        completed_runs: number;
        success_rate: number;
        mean_duration_seconds: number;
      }>`
        select completed_runs, success_rate, mean_duration_seconds from workflow_success_rate_view`.execute(
        store.db,
      );
      assert.equal(rates.rows.length, 1);
      const rate = rates.rows[0]!;
      // The 40-day-old run is outside the window: 3 runs, 1 success, mean of 30, 20 and 10 seconds.
      assert.equal(Number(rate.completed_runs), 3);
      assert.ok(Math.abs(Number(rate.success_rate) - 1 / 3) < 1e-9);
      assert.ok(Math.abs(Number(rate.mean_duration_seconds) - 20) < 0.01);
      assert.ok(old < lastWeek);
    });
  });
}
