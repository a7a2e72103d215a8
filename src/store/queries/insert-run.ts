// Creates a run with its job rows and a run:queued event in one transaction, numbering it per repository+workflow.
import { sql, type Kysely } from "kysely";
import { normalizeLabels } from "../labels.js";
import { wakeOnCommit } from "../notify.js";
import { toJob, toRun, type Job, type Run } from "../records.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { RUN_STATUS_EVENTS } from "../transitions.js";
import { recordEvent } from "./record-event.js";

export interface NewJobInput {
  /** Unique within the run attempt: the job id plus matrix values, e.g. `test (20, linux)`. */
  key: string;
  jobId: string;
  name: string;
  matrix?: Record<string, unknown> | null;
  runsOn: readonly string[];
  needs?: readonly string[];
  /** `waiting` holds a job back (unmet needs, a gate) until a transition queues it; default `queued`. */
  status?: "queued" | "waiting";
}

export interface NewRunInput {
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  event: string;
  sha: string;
  ref: string;
  actor: string;
  payload: unknown;
  concurrencyGroup?: string | null;
  jobs: readonly NewJobInput[];
  traceId?: string | null;
}

/**
 * Safe under concurrency: run_number comes from an upsert on run_counters, which row-locks (PostgreSQL) or holds the
 * write lock (SQLite) so concurrent inserts get consecutive numbers; all rows commit or none do.
 */
export async function insertRun(store: Store, input: NewRunInput): Promise<{ run: Run; jobs: Job[] }> {
  return runInTransaction(store, (trx) => insertRunInTransaction(store, trx, input));
}

/** insertRun inside the caller's transaction, for a caller that records more with the run (an intake's delivery). */
export async function insertRunInTransaction(
  store: Store,
  trx: Kysely<Database>,
  input: NewRunInput,
): Promise<{ run: Run; jobs: Job[] }> {
  const keys = new Set(input.jobs.map((job) => job.key));
  if (keys.size !== input.jobs.length) {
    throw new StoreError("STORE_INVALID_ARGUMENT", "job keys must be unique within a run");
  }
  const counter = await trx
    .insertInto("run_counters")
    .values({ repository_id: input.repositoryId, workflow_file: input.workflowFile, last_number: 1 })
    .onConflict((conflict) =>
      conflict
        .columns(["repository_id", "workflow_file"])
        .doUpdateSet({ last_number: sql<number>`run_counters.last_number + 1` }),
    )
    .returning("last_number")
    .executeTakeFirstOrThrow();
  const runRow = await trx
    .insertInto("runs")
    .values({
      repository_id: input.repositoryId,
      workflow_file: input.workflowFile,
      workflow_name: input.workflowName,
      event: input.event,
      sha: input.sha,
      ref: input.ref,
      actor: input.actor,
      run_number: counter.last_number,
      attempt: 1,
      status: "queued",
      conclusion: null,
      payload: JSON.stringify(input.payload ?? {}),
      concurrency_group: input.concurrencyGroup ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const run = toRun(runRow);
  const jobRows =
    input.jobs.length === 0
      ? []
      : await trx
          .insertInto("jobs")
          .values(
            input.jobs.map((job) => ({
              run_id: run.id,
              attempt: 1,
              job_key: job.key,
              job_id: job.jobId,
              name: job.name,
              matrix: job.matrix ? JSON.stringify(job.matrix) : null,
              runs_on: JSON.stringify(normalizeLabels(job.runsOn)),
              needs: JSON.stringify(job.needs ?? []),
              status: job.status ?? "queued",
            })),
          )
          .returningAll()
          .execute();
  const jobs = jobRows.map(toJob).sort((a, b) => a.id - b.id);
  await recordEvent(trx, {
    action: RUN_STATUS_EVENTS.queued,
    resourceType: "run",
    resourceId: run.id,
    actor: run.actor,
    traceId: input.traceId,
    payload: {
      runId: run.id,
      workflow: run.workflowName,
      event: run.event,
      runNumber: run.runNumber,
      jobs: jobs.map((job) => ({ id: job.id, key: job.key, status: job.status })),
    },
  });
  if (jobs.some((job) => job.status === "queued")) await wakeOnCommit(store, trx);
  return { run, jobs };
}
