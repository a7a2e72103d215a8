// Migration 5: why a job the engine has not queued yet waits (its `needs`, a concurrency group). Kept apart from
// `jobs`, whose rows exist only from queueing on; a row here goes once the job is queued, started or finished.
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createJobWaits(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable("job_waits")
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("detail", t.json, (c) => c.notNull())
    .addColumn("since", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("job_waits_pkey", ["run_id", "attempt", "job_key"])
    .addCheckConstraint("job_waits_reason_check", sql`reason in ('needs', 'concurrency')`)
    .execute();
}
