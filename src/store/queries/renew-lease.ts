// Extends a job's lease (the runner's heartbeat), only for the runner that holds it.
import { sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";

export interface RenewLeaseRequest {
  jobId: number;
  runnerId: string;
  leaseMs: number;
}

/**
 * Safe under concurrency: one UPDATE that matches only an in-progress job still leased to this runner, so a lease the
 * sweeper has taken back is never revived. Returns the new expiry (database clock).
 */
export async function renewLease(store: Store, request: RenewLeaseRequest): Promise<string> {
  const row = await store.db
    .updateTable("jobs")
    .set({ lease_expires_at: sqlNowPlusMs(store.dialect, request.leaseMs) })
    .where("id", "=", request.jobId)
    .where("status", "=", "in_progress")
    .where("lease_owner", "=", request.runnerId)
    .returning("lease_expires_at")
    .executeTakeFirst();
  if (!row?.lease_expires_at) {
    throw new StoreError("QUEUE_LEASE_LOST", `job ${request.jobId} is not leased to ${request.runnerId}`);
  }
  return row.lease_expires_at;
}
