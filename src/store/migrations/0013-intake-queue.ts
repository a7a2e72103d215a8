// Migration 13: webhook deliveries become a durable intake queue. A delivery is answered once it is recorded with its
// payload; any server replica then claims it (a lease, like a job's), reads the workflows and records its runs, and a
// failure is retried with backoff and kept with its error. Deliveries from before this migration were handled inline.
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createIntakeQueue(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // Raw DDL for the one named CHECK: SQLite's ALTER TABLE takes a named column constraint, not a table constraint.
  await sql`alter table webhook_deliveries add column status text not null default 'handled'
    constraint "webhook_deliveries_status_check" check (status in ('queued', 'in_progress', 'handled', 'failed'))`.execute(
    db,
  );
  const deliveries = () => db.schema.alterTable("webhook_deliveries");
  // Null on deliveries from before this migration, which had no queue to wait in.
  await deliveries()
    .addColumn("repository_id", t.ref, (c) => c.references("repositories.id").onDelete("cascade"))
    .execute();
  await deliveries().addColumn("actor", "text").execute();
  await deliveries().addColumn("payload", t.json).execute();
  await deliveries()
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await deliveries().addColumn("next_attempt_at", t.timestamp).execute();
  await deliveries().addColumn("lease_owner", "text").execute();
  await deliveries().addColumn("lease_expires_at", t.timestamp).execute();
  await deliveries().addColumn("handled_at", t.timestamp).execute();
  // The last attempt's error, kept after a later attempt succeeds so a flaky remote shows.
  await deliveries().addColumn("error", "text").execute();
  // What reading the workflows found besides runs: files skipped by their triggers, invalid files.
  await deliveries().addColumn("result", t.json).execute();
  await db.schema
    .createIndex("webhook_deliveries_queue_idx")
    .on("webhook_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
}
