// Reads where one job stands at its environment's gate: since when it waits (database clock) and every decision.
import { sql } from "kysely";
import { sqlNow } from "../clock.js";
import { toApproval, type Approval } from "../environment-record.js";
import type { Store } from "../store.js";

export interface GateProgress {
  /** When the job's approval wait began; undefined when it waits for nothing recorded. */
  reachedAt: string | undefined;
  /** The database's clock now, to measure the wait timer with the clock that wrote reachedAt. */
  now: string;
  approvals: Approval[];
}

/** Safe under concurrency: reads only; approvals are append-only. */
export async function getGateProgress(
  store: Store,
  target: { runId: number; attempt: number; jobKey: string },
): Promise<GateProgress> {
  const wait = await store.db
    .selectFrom("job_waits")
    .select("since")
    .where("run_id", "=", target.runId)
    .where("attempt", "=", target.attempt)
    .where("job_key", "=", target.jobKey)
    .where("reason", "=", "approval")
    .executeTakeFirst();
  const clock = await sql<{ now: string }>`select ${sqlNow(store.dialect)} as now`.execute(store.db);
  const rows = await store.db
    .selectFrom("approvals")
    .selectAll()
    .where("run_id", "=", target.runId)
    .where("attempt", "=", target.attempt)
    .where("job_key", "=", target.jobKey)
    .orderBy("id")
    .execute();
  return { reachedAt: wait?.since, now: String(clock.rows[0]!.now), approvals: rows.map(toApproval) };
}
