// The one writer of jobs.status: a compare-and-set against JOB_TRANSITIONS plus its event row, in one transaction.
// claim-job, complete-job and the sweeper are guarded uses of applyJobTransition; nothing else writes the column.
import type { Expression, Kysely } from "kysely";
import { sql } from "kysely";
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import { wakeOnCommit } from "../notify.js";
import { toJob, type Job } from "../records.js";
import type { Database } from "../schema.js";
import type { Conclusion, JobStatus, StopReason } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { checkTransition, JOB_STATUS_EVENTS, JOB_TRANSITIONS, listSourcesOf } from "../transitions.js";
import { recordEvent } from "./record-event.js";

export interface JobChange {
  to: JobStatus;
  /** Required when `to` is completed. */
  conclusion?: Conclusion;
  stopReason?: StopReason | null;
  outputs?: Record<string, string>;
  /** Required when `to` is in_progress: who holds the lease and for how long. */
  lease?: { owner: string; ms: number };
  actor?: string | null;
  traceId?: string | null;
  /** With `completed`: why the job ended so (its first failure, a stop reason's detail); on the row and the event. */
  message?: string;
  /** Extra fields for the event payload. */
  details?: Record<string, unknown>;
}

export interface JobGuard {
  /** Apply only while this runner holds the lease. */
  leaseOwner?: string;
  /** Apply only once the lease has expired by the database's clock. */
  isLeaseExpired?: boolean;
}

/** Applies `change` to one job in its own transaction; throws a StoreError naming why when it cannot. */
export async function transitionJob(
  store: Store,
  jobId: number,
  change: JobChange,
  guard: JobGuard = {},
): Promise<Job> {
  return runInTransaction(store, async (trx) => {
    const job = await applyJobTransition(store, trx, jobId, change, guard);
    if (job) return job;
    throw await explainRejection(trx, jobId, change.to, guard);
  });
}

/**
 * Safe under concurrency: one UPDATE whose WHERE re-checks the allowed from-statuses and the lease guard, so of two
 * racing writers exactly one matches; returns undefined when no row matched (the caller's transaction stays usable).
 */
export async function applyJobTransition(
  store: Store,
  trx: Kysely<Database>,
  job: number | Expression<number>,
  change: JobChange,
  guard: JobGuard = {},
): Promise<Job | undefined> {
  const now = sqlNow(store.dialect);
  const releasesLease = { lease_owner: null, lease_expires_at: null };
  let fields;
  switch (change.to) {
    case "in_progress": {
      if (!change.lease)
        throw new StoreError("STORE_INVALID_ARGUMENT", "a job goes to in_progress only with a lease");
      fields = {
        lease_owner: change.lease.owner,
        lease_expires_at: sqlNowPlusMs(store.dialect, change.lease.ms),
        claim_count: sql<number>`claim_count + 1`,
        runner_id: change.lease.owner,
        started_at: sql<string>`coalesce(started_at, ${now})`,
      };
      break;
    }
    case "completed": {
      if (!change.conclusion)
        throw new StoreError("STORE_INVALID_ARGUMENT", "a completed job needs a conclusion");
      fields = {
        ...releasesLease,
        conclusion: change.conclusion,
        stop_reason: change.stopReason ?? null,
        outputs: change.outputs ? JSON.stringify(change.outputs) : null,
        message: change.message ?? null,
        finished_at: now,
      };
      break;
    }
    default:
      fields = releasesLease;
  }
  const sources = listSourcesOf(JOB_TRANSITIONS, change.to);
  if (sources.length === 0) return undefined;
  let update = trx
    .updateTable("jobs")
    .set({ status: change.to, ...fields })
    .where("id", "=", job)
    .where("status", "in", sources);
  if (guard.leaseOwner !== undefined) update = update.where("lease_owner", "=", guard.leaseOwner);
  if (guard.isLeaseExpired) update = update.where("lease_expires_at", "<", now);
  const row = await update.returningAll().executeTakeFirst();
  if (!row) return undefined;
  const updated = toJob(row);
  await recordEvent(trx, {
    action: JOB_STATUS_EVENTS[change.to],
    resourceType: "job",
    resourceId: updated.id,
    actor: change.actor,
    traceId: change.traceId,
    payload: {
      runId: updated.runId,
      attempt: updated.attempt,
      job: { jobId: updated.jobId, key: updated.key, name: updated.name, matrix: updated.matrix },
      status: updated.status,
      ...(updated.status === "in_progress"
        ? { runnerId: updated.runnerId, claimCount: updated.claimCount }
        : {}),
      ...(updated.status === "completed"
        ? {
            conclusion: updated.conclusion,
            outputs: updated.outputs ?? {},
            reason: updated.stopReason ?? undefined,
            ...(updated.message ? { message: updated.message } : {}),
          }
        : {}),
      ...change.details,
    },
  });
  if (change.to === "queued") await wakeOnCommit(store, trx);
  return updated;
}

async function explainRejection(
  trx: Kysely<Database>,
  jobId: number,
  to: JobStatus,
  guard: JobGuard,
): Promise<StoreError> {
  const row = await trx
    .selectFrom("jobs")
    .select(["status", "lease_owner"])
    .where("id", "=", jobId)
    .executeTakeFirst();
  if (!row) return new StoreError("STORE_NOT_FOUND", `job ${jobId} does not exist`);
  const illegal = checkTransition("job", JOB_TRANSITIONS, jobId, row.status, to);
  if (illegal) return illegal;
  if (guard.leaseOwner !== undefined && row.lease_owner !== guard.leaseOwner) {
    return new StoreError(
      "QUEUE_LEASE_LOST",
      `job ${jobId} is not leased to ${guard.leaseOwner} (lease owner: ${row.lease_owner ?? "none"})`,
    );
  }
  if (guard.isLeaseExpired) return new StoreError("QUEUE_LEASE_LOST", `job ${jobId}'s lease has not expired`);
  return new StoreError("STORE_ILLEGAL_TRANSITION", `job ${jobId} changed while moving to ${to}; retry`);
}
