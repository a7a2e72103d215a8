// The sweeper: jobs whose lease expired go back to queued, or fail as runner_lost once claimed too many times.
import { sqlNow } from "../clock.js";
import type { Job } from "../records.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { applyJobTransition, type JobChange } from "./transition-job.js";

export interface SweepOptions {
  /** Claims a job may use up: when its lease expires on the last one, it fails as runner_lost (default 3). */
  maxAttempts?: number;
  /** Jobs handled per call (default 100); the caller sweeps again on its next jittered tick. */
  limit?: number;
}

export interface SweepResult {
  requeued: Job[];
  lost: Job[];
}

/**
 * Safe under concurrency: each job is moved by a compare-and-set on (status, lease owner, expiry by the database's
 * clock), so a lease renewed since the scan, or a job another sweeper already moved, is left alone.
 */
export async function requeueExpiredLeases(store: Store, options: SweepOptions = {}): Promise<SweepResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const expired = await store.db
    .selectFrom("jobs")
    .select(["id", "lease_owner", "claim_count"])
    .where("status", "=", "in_progress")
    .where("lease_expires_at", "<", sqlNow(store.dialect))
    .orderBy("lease_expires_at")
    .limit(options.limit ?? 100)
    .execute();
  const result: SweepResult = { requeued: [], lost: [] };
  for (const lease of expired) {
    const isLost = lease.claim_count >= maxAttempts;
    const change: JobChange = isLost
      ? {
          to: "completed",
          conclusion: "failure",
          stopReason: "runner_lost",
          message: `the runner stopped renewing its lease (${lease.claim_count} attempts)`,
        }
      : { to: "queued", details: { reason: "lease_expired", previousRunnerId: lease.lease_owner } };
    const job = await runInTransaction(store, (trx) =>
      applyJobTransition(store, trx, lease.id, change, {
        leaseOwner: lease.lease_owner!,
        isLeaseExpired: true,
      }),
    );
    if (job) (isLost ? result.lost : result.requeued).push(job);
  }
  return result;
}
