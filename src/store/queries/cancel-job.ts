// Cancels a job: one not yet claimed completes as cancelled at once; a running one is flagged for its runner.
import { sql, type Kysely } from "kysely";
import { sqlNow } from "../clock.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { toQueuedJob, type QueuedJob } from "./get-job.js";
import { recordEvent } from "./record-event.js";
import { applyJobTransition } from "./transition-job.js";

/**
 * Safe under concurrency: the flag UPDATE locks the row (PostgreSQL; a claim's SKIP LOCKED passes it by) or runs
 * under SQLite's write lock, so the status it returns cannot change before this transaction commits. The runner
 * holding the lease reads the flag at its next heartbeat and completes the job itself, after its post steps.
 */
export async function cancelJob(
  store: Store,
  jobRowId: number,
  options: { actor?: string | null } = {},
): Promise<QueuedJob> {
  return runInTransaction(store, async (trx) => {
    const job = await cancelJobInTransaction(store, trx, jobRowId, options);
    if (!job) throw new StoreError("STORE_NOT_FOUND", `job ${jobRowId} does not exist`);
    return job;
  });
}

/** cancelJob inside the caller's transaction (a whole run's jobs at once); undefined when the job does not exist. */
export async function cancelJobInTransaction(
  store: Store,
  trx: Kysely<Database>,
  jobRowId: number,
  options: { actor?: string | null } = {},
): Promise<QueuedJob | undefined> {
  const flagged = await trx
    .updateTable("jobs")
    .set({ cancel_requested_at: sql<string>`coalesce(cancel_requested_at, ${sqlNow(store.dialect)})` })
    .where("id", "=", jobRowId)
    .returningAll()
    .executeTakeFirst();
  if (!flagged) return undefined;
  if (flagged.status === "queued" || flagged.status === "waiting") {
    await applyJobTransition(store, trx, jobRowId, {
      to: "completed",
      conclusion: "cancelled",
      stopReason: "cancelled",
      actor: options.actor,
      message: "the job was cancelled before a runner took it",
    });
  } else if (flagged.status === "in_progress") {
    await recordEvent(trx, {
      action: "job:cancel-requested",
      resourceType: "job",
      resourceId: jobRowId,
      actor: options.actor,
      payload: { runId: flagged.run_id, runnerId: flagged.lease_owner },
    });
  }
  const row = await trx.selectFrom("jobs").selectAll().where("id", "=", jobRowId).executeTakeFirstOrThrow();
  return toQueuedJob(row);
}
