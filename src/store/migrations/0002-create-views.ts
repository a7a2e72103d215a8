// Migration 2: the SQL views that are the documented surface for users' own queries. The tables stay private.
import { sql, type Kysely } from "kysely";

// Contract: runs_view, jobs_view and events_view keep their column names and meanings; add columns, never rename.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createViews(db: Kysely<any>): Promise<void> {
  await sql`
    create view runs_view as
    select r.id as run_id, p.name as repository, r.workflow_file, r.workflow_name, r.event, r.sha, r.ref, r.actor,
           r.run_number, r.attempt, r.status, r.conclusion, r.concurrency_group,
           r.created_at, r.started_at, r.finished_at
    from runs r join repositories p on p.id = r.repository_id`.execute(db);
  await sql`
    create view jobs_view as
    select j.id as job_row_id, j.run_id, p.name as repository, r.workflow_name, r.run_number, j.attempt,
           j.job_id, j.job_key, j.name, j.matrix, j.runs_on, j.status, j.conclusion, j.stop_reason, j.runner_id,
           j.created_at, j.started_at, j.finished_at
    from jobs j join runs r on r.id = j.run_id join repositories p on p.id = r.repository_id`.execute(db);
  await sql`
    create view events_view as
    select id as event_id, at, actor, action, resource_type, resource_id, trace_id, payload
    from events`.execute(db);
}
