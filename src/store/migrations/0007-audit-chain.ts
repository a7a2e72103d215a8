// Migration 7: the audit trail. Chains the events rows (envelope columns, hash chain over the rows already there),
// makes the table append-only with triggers, and adds the views that answer the seeds' questions.
import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { GENESIS_HASH, hashEvent } from "../audit/event-hash.js";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

/** Rows chained per read while migrating a table that already has events. */
const BATCH = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function addAuditChain(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type] of [
    ["event_id", "text"],
    ["seq", t.id],
    ["status", "text"],
    ["latency_ms", t.id],
    ["prev_hash", "text"],
    ["hash", "text"],
  ] as const)
    await db.schema.alterTable("events").addColumn(name, type).execute();
  // The canonical `at` has milliseconds; PostgreSQL's default now() kept microseconds the hash would not cover.
  if (dialect === "postgres") await sql`update events set at = date_trunc('milliseconds', at)`.execute(db);
  const head = await chainExistingEvents(db);

  await db.schema
    .createTable("events_chain_head")
    .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn("seq", t.id, (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.insertInto("events_chain_head").values({ id: 1, seq: head.seq, hash: head.hash }).execute();

  await db.schema.createIndex("events_seq_unique").on("events").column("seq").unique().execute();
  await db.schema.createIndex("events_trace_idx").on("events").columns(["trace_id", "id"]).execute();
  await db.schema.createIndex("events_at_idx").on("events").column("at").execute();

  await createAppendOnlyTriggers(db, dialect);
  await createAuditViews(db, dialect);
}

async function chainExistingEvents(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
  db: Kysely<any>,
): Promise<{ seq: number; hash: string }> {
  let seq = 0;
  let prevHash = GENESIS_HASH;
  let afterId = 0;
  for (;;) {
    const rows = (await db
      .selectFrom("events")
      .selectAll()
      .where("id", ">", afterId)
      .orderBy("id")
      .limit(BATCH)
      .execute()) as {
      id: number;
      at: string;
      actor: string | null;
      action: string;
      resource_type: string;
      resource_id: string;
      trace_id: string | null;
      payload: string;
    }[];
    if (rows.length === 0) return { seq, hash: prevHash };
    for (const row of rows) {
      seq += 1;
      const metadata = JSON.parse(row.payload) as unknown;
      const envelope = {
        seq,
        event_id: randomUUID(),
        trace_id: row.trace_id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        resource: { type: row.resource_type, id: row.resource_id },
        status: null,
        latency_ms: null,
        metadata,
        prev_hash: prevHash,
      };
      const hash = hashEvent(envelope);
      await db
        .updateTable("events")
        .set({ seq, event_id: envelope.event_id, prev_hash: prevHash, hash })
        .where("id", "=", row.id)
        .execute();
      prevHash = hash;
      afterId = row.id;
    }
  }
}

/**
 * Refuses UPDATE and DELETE (and PostgreSQL's TRUNCATE, which skips row triggers) for every role that does not own
 * the table: an owner or superuser can still drop the trigger, which is what the chain and checkpoints detect.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
async function createAppendOnlyTriggers(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === "sqlite") {
    await sql`
      create trigger events_no_update before update on events
      begin select raise(abort, 'events are append-only: UPDATE refused'); end`.execute(db);
    await sql`
      create trigger events_no_delete before delete on events
      begin select raise(abort, 'events are append-only: DELETE refused'); end`.execute(db);
    await sql`
      create trigger events_chain_head_no_delete before delete on events_chain_head
      begin select raise(abort, 'the audit chain head cannot be deleted'); end`.execute(db);
    return;
  }
  await sql`
    create function hangar_refuse_event_change() returns trigger language plpgsql as $$
    begin
      raise exception 'events are append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger events_append_only before update or delete on events
    for each row execute function hangar_refuse_event_change()`.execute(db);
  await sql`
    create trigger events_no_truncate before truncate on events
    for each statement execute function hangar_refuse_event_change()`.execute(db);
  await sql`
    create trigger events_chain_head_no_delete before delete or truncate on events_chain_head
    for each statement execute function hangar_refuse_event_change()`.execute(db);
}

/** Contract: these views keep their column names and meanings; add columns, never rename. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
async function createAuditViews(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const isPostgres = dialect === "postgres";
  const seconds = (from: string, to: string) =>
    isPostgres
      ? sql.raw(`extract(epoch from (${to} - ${from}))::double precision`)
      : sql.raw(`(julianday(${to}) - julianday(${from})) * 86400.0`);
  const daysAgo = (days: number) =>
    isPostgres
      ? sql.raw(`now() - interval '${days} days'`)
      : sql.raw(`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${days} days')`);

  await sql`
    create view audit_events_view as
    select id, seq, event_id, trace_id, at, actor, action, resource_type, resource_id, status, latency_ms,
           payload as metadata, prev_hash, hash
    from events`.execute(db);

  // The last N runs of a workflow: `where repository = ? and workflow_file = ? and recency <= N`.
  await sql`
    create view workflow_run_history_view as
    select p.name as repository, r.workflow_file, r.workflow_name, r.id as run_id, r.run_number, r.attempt,
           r.event, r.ref, r.sha, r.actor, r.status, r.conclusion, r.created_at, r.started_at, r.finished_at,
           ${seconds("r.started_at", "r.finished_at")} as duration_seconds,
           row_number() over (partition by r.repository_id, r.workflow_file order by r.id desc) as recency
    from runs r join repositories p on p.id = r.repository_id`.execute(db);

  // Failed jobs of the last 7 days with the runner that ran them, the first failed step and the log's last chunk.
  await sql`
    create view recent_failures_view as
    select p.name as repository, r.workflow_name, r.id as run_id, r.run_number, j.attempt, j.id as job_row_id,
           j.job_id, j.name as job_name, j.stop_reason, j.runner_id, rn.name as runner_name,
           (select s.name from steps s where s.job_row_id = j.id and s.conclusion = 'failure'
            order by s.step_index limit 1) as failed_step,
           j.outputs,
           (select l.text from log_chunks l where l.job_row_id = j.id order by l.seq desc limit 1) as log_tail,
           j.started_at, j.finished_at
    from jobs j
    join runs r on r.id = j.run_id
    join repositories p on p.id = r.repository_id
    left join runners rn on ${isPostgres ? sql.raw("rn.id::text") : sql.raw("cast(rn.id as text)")} = j.runner_id
    where j.conclusion = 'failure' and j.finished_at >= ${daysAgo(7)}`.execute(db);

  await sql`
    create view workflow_success_rate_view as
    select p.name as repository, r.workflow_file, r.workflow_name,
           count(*) as completed_runs,
           sum(case when r.conclusion = 'success' then 1 else 0 end) as successful_runs,
           avg(case when r.conclusion = 'success' then 1.0 else 0.0 end) as success_rate,
           avg(${seconds("r.started_at", "r.finished_at")}) as mean_duration_seconds
    from runs r join repositories p on p.id = r.repository_id
    where r.status = 'completed' and r.finished_at >= ${daysAgo(30)}
    group by p.name, r.workflow_file, r.workflow_name`.execute(db);
}
