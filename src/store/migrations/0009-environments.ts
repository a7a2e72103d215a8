// Migration 9: deployment environments with GitHub's protection rules, reviewer groups, the repository's protected
// branches, approval decisions and deployments; job_waits learns the reason 'approval'.
import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createEnvironments(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a builder for any table name
  const withId = <N extends string>(table: CreateTableBuilder<N, any>) =>
    table.addColumn("id", t.id, (c) =>
      dialect === "postgres" ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement(),
    );

  // Branch patterns that count as protected, besides the default branch (environments' `protected` policy).
  await db.schema
    .alterTable("repositories")
    .addColumn("protected_branches", t.json, (c) => c.notNull().defaultTo("[]"))
    .execute();

  // A named list of users that an environment can name as one reviewer (GitHub's teams).
  await withId(db.schema.createTable("reviewer_groups"))
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("users", t.json, (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();

  // Limits as GitHub's "Create or update an environment": up to six reviewers, wait_timer 0..43200 minutes.
  await withId(db.schema.createTable("environments"))
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("reviewers", t.json, (c) => c.notNull().defaultTo("[]"))
    .addColumn("required_approvals", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("prevent_self_review", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("wait_timer", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("branch_policy", "text", (c) => c.notNull().defaultTo("all"))
    .addColumn("branch_patterns", t.json, (c) => c.notNull().defaultTo("[]"))
    .addColumn("can_admins_bypass", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("environments_name_unique", ["repository_id", "name"])
    .addCheckConstraint("environments_required_approvals_check", sql`required_approvals between 1 and 6`)
    .addCheckConstraint("environments_wait_timer_check", sql`wait_timer between 0 and 43200`)
    .addCheckConstraint(
      "environments_branch_policy_check",
      sql`branch_policy in ('all', 'protected', 'custom')`,
    )
    .execute();

  await withId(db.schema.createTable("approvals"))
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("decision", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint("approvals_decision_check", sql`decision in ('approved', 'rejected', 'bypassed')`)
    .execute();
  await db.schema.createIndex("approvals_run_idx").on("approvals").columns(["run_id", "attempt"]).execute();

  await withId(db.schema.createTable("deployments"))
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("sha", "text", (c) => c.notNull())
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("url", "text")
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint("deployments_status_check", sql`status in ('success', 'failure', 'cancelled')`)
    // A resumed run re-runs a job's gate and follows the job it queued: one deployment per job instance still.
    .addUniqueConstraint("deployments_job_unique", ["run_id", "attempt", "job_key"])
    .execute();
  await db.schema
    .createIndex("deployments_environment_idx")
    .on("deployments")
    .columns(["repository_id", "environment", "id"])
    .execute();

  await widenJobWaitReasons(db, dialect);
}

/** The CHECK literal on purpose (see 0001): the drift between JOB_WAIT_REASONS and the database stays visible. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
async function widenJobWaitReasons(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const reasons = sql`reason in ('needs', 'concurrency', 'approval')`;
  if (dialect === "postgres") {
    await sql`alter table job_waits drop constraint job_waits_reason_check`.execute(db);
    await sql`alter table job_waits add constraint job_waits_reason_check check (${reasons})`.execute(db);
    return;
  }
  // SQLite cannot alter a CHECK: rebuild the table (sqlite.org/lang_altertable.html, "other kinds of changes").
  const t = columnTypes(dialect);
  await db.schema
    .createTable("job_waits_new")
    .addColumn("run_id", t.ref, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("detail", t.json, (c) => c.notNull())
    .addColumn("since", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("job_waits_pkey", ["run_id", "attempt", "job_key"])
    .addCheckConstraint("job_waits_reason_check", reasons)
    .execute();
  const columns = sql`run_id, attempt, job_key, job_id, name, reason, detail, since`;
  await sql`insert into job_waits_new (${columns}) select ${columns} from job_waits`.execute(db);
  await db.schema.dropTable("job_waits").execute();
  await db.schema.alterTable("job_waits_new").renameTo("job_waits").execute();
}
