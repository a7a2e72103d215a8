// Takes the oldest queued job whose runs-on labels the runner has, leases it and records job:started.
import { sql } from "kysely";
import { normalizeLabels } from "../labels.js";
import type { Job } from "../records.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { applyJobTransition } from "./transition-job.js";

export interface ClaimRequest {
  runnerId: string;
  /** The runner's labels; a job is eligible when every one of its runs-on labels is among them. */
  labels: readonly string[];
  leaseMs: number;
}

/**
 * Safe under concurrency: PostgreSQL locks the candidate row FOR UPDATE SKIP LOCKED, so concurrent claimers each take
 * a different job without waiting; SQLite holds the write lock (BEGIN IMMEDIATE) for the whole claim. Either way the
 * UPDATE re-checks status = queued, so a job is leased at most once.
 */
export async function claimJob(store: Store, request: ClaimRequest): Promise<Job | undefined> {
  const labels = JSON.stringify(normalizeLabels(request.labels));
  return runInTransaction(store, async (trx) => {
    const oldestEligible = trx
      .selectFrom("jobs as candidate")
      .select("candidate.id")
      .where("candidate.status", "=", "queued")
      .orderBy("candidate.id")
      .limit(1);
    const candidate =
      store.dialect === "postgres"
        ? oldestEligible
            .where(sql<boolean>`candidate.runs_on <@ ${labels}::jsonb`)
            .forUpdate()
            .skipLocked()
        : oldestEligible.where(
            sql<boolean>`not exists (select 1 from json_each(candidate.runs_on) as wanted
              where wanted.value not in (select value from json_each(${labels})))`,
          );
    return applyJobTransition(store, trx, candidate.$asScalar(), {
      to: "in_progress",
      lease: { owner: request.runnerId, ms: request.leaseMs },
    });
  });
}
