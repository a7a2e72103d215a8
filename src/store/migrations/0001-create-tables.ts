// Migration 1: every table. Frozen once released; the CHECK lists are literals on purpose, so the drift test
// catches a status added to statuses.ts without a migration that widens the constraint.
import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createTables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a builder for any table name
  const withId = <N extends string>(table: CreateTableBuilder<N, any>) =>
    table.addColumn("id", t.id, (c) =>
      dialect === "postgres" ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement(),
    );
  const conclusions = sql`('success', 'failure', 'cancelled', 'skipped')`;

  await withId(db.schema.createTable("repositories"))
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("git_url", "text", (c) => c.notNull())
    .addColumn("webhook_secret", "text")
    .addColumn("default_branch", "text", (c) => c.notNull().defaultTo("main"))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();

  // run_number is per repository and workflow, as on GitHub; this row is its atomic counter.
  await db.schema
    .createTable("run_counters")
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("workflow_file", "text", (c) => c.notNull())
    .addColumn("last_number", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_counters_pkey", ["repository_id", "workflow_file"])
    .execute();

  await withId(db.schema.createTable("runs"))
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("workflow_file", "text", (c) => c.notNull())
    .addColumn("workflow_name", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("sha", "text", (c) => c.notNull())
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("run_number", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("conclusion", "text")
    .addColumn("payload", t.json, (c) => c.notNull())
    .addColumn("concurrency_group", "text")
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("started_at", t.timestamp)
    .addColumn("finished_at", t.timestamp)
    .addUniqueConstraint("runs_number_unique", ["repository_id", "workflow_file", "run_number"])
    .addCheckConstraint("runs_status_check", sql`status in ('queued', 'waiting', 'in_progress', 'completed')`)
    .addCheckConstraint("runs_conclusion_check", sql`conclusion in ${conclusions}`)
    .execute();
  await db.schema.createIndex("runs_repository_idx").on("runs").columns(["repository_id", "id"]).execute();
  await db.schema.createIndex("runs_concurrency_idx").on("runs").column("concurrency_group").execute();

  await withId(db.schema.createTable("jobs"))
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("matrix", t.json)
    .addColumn("runs_on", t.json, (c) => c.notNull())
    .addColumn("needs", t.json, (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("conclusion", "text")
    .addColumn("stop_reason", "text")
    .addColumn("outputs", t.json)
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", t.timestamp)
    .addColumn("claim_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("runner_id", "text")
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("started_at", t.timestamp)
    .addColumn("finished_at", t.timestamp)
    .addUniqueConstraint("jobs_key_unique", ["run_id", "attempt", "job_key"])
    .addCheckConstraint("jobs_status_check", sql`status in ('queued', 'waiting', 'in_progress', 'completed')`)
    .addCheckConstraint("jobs_conclusion_check", sql`conclusion in ${conclusions}`)
    .addCheckConstraint(
      "jobs_stop_reason_check",
      sql`stop_reason in ('cancelled', 'timed_out', 'dependency_failed', 'fail_fast', 'executor_error', 'runner_lost')`,
    )
    .execute();
  // The claim scans only queued jobs, oldest first; the sweeper scans only leased ones by expiry.
  await db.schema
    .createIndex("jobs_queued_idx")
    .on("jobs")
    .column("id")
    .where(sql.ref("status"), "=", "queued")
    .execute();
  await db.schema
    .createIndex("jobs_lease_idx")
    .on("jobs")
    .column("lease_expires_at")
    .where(sql.ref("status"), "=", "in_progress")
    .execute();
  await db.schema.createIndex("jobs_run_idx").on("jobs").column("run_id").execute();

  await withId(db.schema.createTable("steps"))
    .addColumn("job_row_id", t.ref, (c) => c.notNull().references("jobs.id").onDelete("cascade"))
    .addColumn("step_index", "integer", (c) => c.notNull())
    .addColumn("step_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("outcome", "text")
    .addColumn("conclusion", "text")
    .addColumn("started_at", t.timestamp)
    .addColumn("finished_at", t.timestamp)
    .addUniqueConstraint("steps_index_unique", ["job_row_id", "step_index"])
    .addCheckConstraint("steps_status_check", sql`status in ('queued', 'in_progress', 'completed')`)
    .addCheckConstraint("steps_outcome_check", sql`outcome in ${conclusions}`)
    .addCheckConstraint("steps_conclusion_check", sql`conclusion in ${conclusions}`)
    .execute();

  await withId(db.schema.createTable("log_chunks"))
    .addColumn("job_row_id", t.ref, (c) => c.notNull().references("jobs.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("byte_offset", t.id, (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("log_chunks_seq_unique", ["job_row_id", "seq"])
    .execute();

  await withId(db.schema.createTable("artifacts"))
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("size", t.id, (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("expires_at", t.timestamp)
    .addUniqueConstraint("artifacts_name_unique", ["run_id", "name"])
    .execute();

  await withId(db.schema.createTable("runners"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("labels", t.json, (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("ephemeral", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_seen_at", t.timestamp)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint("runners_ephemeral_check", sql`ephemeral in (0, 1)`)
    .execute();

  await withId(db.schema.createTable("runner_registration_tokens"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("expires_at", t.timestamp, (c) => c.notNull())
    .addColumn("used_at", t.timestamp)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();

  await withId(db.schema.createTable("webhook_deliveries"))
    .addColumn("delivery_id", "text", (c) => c.notNull().unique())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("received_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("run_ids", t.json, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable("events"))
    .addColumn("at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("actor", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("resource_type", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("trace_id", "text")
    .addColumn("payload", t.json, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("events_resource_idx")
    .on("events")
    .columns(["resource_type", "resource_id", "id"])
    .execute();
}
