// Migration 11: concurrency groups held in the store, so every server replica (and a restarted one) sees one group:
// per repository and group at most one running holder and one pending holder, each a run attempt or one of its jobs.
import type { Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createConcurrencySlots(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // A row exists only while the group has a running holder; a pending holder waits behind it. A null job key is a
  // whole run (the workflow's group). No foreign keys on holders: completing a run releases its slots (transition-run).
  await db.schema
    .createTable("concurrency_slots")
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("group_key", "text", (c) => c.notNull())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addColumn("running_run_id", t.ref, (c) => c.notNull())
    .addColumn("running_attempt", "integer", (c) => c.notNull())
    .addColumn("running_job_key", "text")
    // Set when a newer holder's cancel-in-progress asked the running one to stop; its orchestrator acts on it.
    .addColumn("running_cancel_requested_at", t.timestamp)
    .addColumn("pending_run_id", t.ref)
    .addColumn("pending_attempt", "integer")
    .addColumn("pending_job_key", "text")
    .addPrimaryKeyConstraint("concurrency_slots_pkey", ["repository_id", "group_key"])
    .execute();
  // A completing run releases its slots by holder.
  await db.schema
    .createIndex("concurrency_slots_running_idx")
    .on("concurrency_slots")
    .column("running_run_id")
    .execute();
  await db.schema
    .createIndex("concurrency_slots_pending_idx")
    .on("concurrency_slots")
    .column("pending_run_id")
    .execute();
}
