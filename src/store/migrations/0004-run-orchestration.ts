// Migration 4: who orchestrates each open run (a server instance holding a renewable lease), what the run reuses from
// its previous attempt, and a durable cancel request, so any replica can resume or cancel a run another one started.
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function addRunOrchestration(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // The instance id of the server process running the run's engine; renewed while it lives.
  await db.schema.alterTable("runs").addColumn("orchestrator", "text").execute();
  await db.schema.alterTable("runs").addColumn("orchestrator_lease_expires_at", t.timestamp).execute();
  // Jobs (by id) kept with their outputs from the previous attempt ("re-run failed jobs"), so a resume reuses them too.
  await db.schema.alterTable("runs").addColumn("reused_jobs", t.json).execute();
  // Set once by requestRunCancel; the orchestrator cancels its engine when it sees it.
  await db.schema.alterTable("runs").addColumn("cancel_requested_at", t.timestamp).execute();
  // The orchestration sweep scans only open runs by lease expiry.
  await db.schema
    .createIndex("runs_orchestration_idx")
    .on("runs")
    .column("orchestrator_lease_expires_at")
    .where(sql.ref("status"), "<>", "completed")
    .execute();
}
