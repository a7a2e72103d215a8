// Reads the jobs of a run that the engine holds back before queueing them, and why.
import type { Store } from "../store.js";
import type { JobWaitReason } from "../../contracts/index.js";
import type { JobWaitDetail } from "./record-job-wait.js";

export interface JobWait {
  runId: number;
  attempt: number;
  key: string;
  jobId: string;
  name: string;
  reason: JobWaitReason;
  detail: JobWaitDetail;
  since: string;
}

/** Safe under concurrency: a single read. */
export async function listJobWaits(store: Store, runId: number): Promise<JobWait[]> {
  const rows = await store.db
    .selectFrom("job_waits")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("attempt")
    .orderBy("since")
    .orderBy("job_key")
    .execute();
  return rows.map((row) => ({
    runId: row.run_id,
    attempt: row.attempt,
    key: row.job_key,
    jobId: row.job_id,
    name: row.name,
    reason: row.reason,
    detail: JSON.parse(row.detail) as JobWaitDetail,
    since: row.since,
  }));
}
