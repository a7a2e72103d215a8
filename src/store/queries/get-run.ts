// Reads one run with its job rows (all attempts, ordered by attempt then insertion).
import { toJob, toRun, type Job, type Run } from "../records.js";
import type { Store } from "../store.js";

/** Safe under concurrency: two reads; a job inserted in between belongs to a later attempt and is shown next time. */
export async function getRun(store: Store, runId: number): Promise<{ run: Run; jobs: Job[] } | undefined> {
  const row = await store.db.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirst();
  if (!row) return undefined;
  const jobs = await store.db
    .selectFrom("jobs")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("attempt")
    .orderBy("id")
    .execute();
  return { run: toRun(row), jobs: jobs.map(toJob) };
}
