// Reads the steps of one or more jobs, numbered in the order they started (record-step-events writes them).
import type { Conclusion, StepStatus } from "../../contracts/index.js";
import type { Store } from "../store.js";

export interface Step {
  jobRowId: number;
  /** 1, 2, 3 ... in the order the job's steps started, pre and post steps included. */
  number: number;
  /** The step's `id:` (generated when the workflow gives none). */
  stepId: string;
  name: string;
  status: StepStatus;
  outcome: Conclusion | null;
  conclusion: Conclusion | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Safe under concurrency: a single read; a step being written meanwhile shows in its state before or after. */
export async function listJobSteps(store: Store, jobRowIds: readonly number[]): Promise<Step[]> {
  if (jobRowIds.length === 0) return [];
  const rows = await store.db
    .selectFrom("steps")
    .selectAll()
    .where("job_row_id", "in", [...jobRowIds])
    .orderBy("job_row_id")
    .orderBy("step_index")
    .execute();
  return rows.map((row) => ({
    jobRowId: row.job_row_id,
    number: row.step_index,
    stepId: row.step_id,
    name: row.name,
    status: row.status,
    outcome: row.outcome,
    conclusion: row.conclusion,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }));
}
