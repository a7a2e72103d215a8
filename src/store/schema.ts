// The Kysely `Database` interface: every table's row shape as the store reads and writes it, on both dialects.
// Timestamps are ISO-8601 UTC strings and JSON columns are JSON text on both (database.ts sets PostgreSQL's parsers).
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { Conclusion, JobStatus, RunStatus, StepStatus, StopReason } from "./statuses.js";

/** Set by the database's clock on insert; readable as an ISO string. */
type CreatedAt = ColumnType<string, never, never>;
/** A nullable timestamp the store sets with the database's clock (clock.ts), never from JS's clock. */
type Timestamp = ColumnType<string | null, never, string | null>;
type Json = string;

export interface RepositoriesTable {
  id: Generated<number>;
  name: string;
  git_url: string;
  webhook_secret: string | null;
  default_branch: Generated<string>;
  created_at: CreatedAt;
}

export interface RunCountersTable {
  repository_id: number;
  workflow_file: string;
  last_number: number;
}

export interface RunsTable {
  id: Generated<number>;
  repository_id: number;
  workflow_file: string;
  workflow_name: string;
  event: string;
  sha: string;
  ref: string;
  actor: string;
  run_number: number;
  attempt: number;
  status: RunStatus;
  conclusion: Conclusion | null;
  payload: Json;
  concurrency_group: string | null;
  created_at: CreatedAt;
  started_at: Timestamp;
  finished_at: Timestamp;
  /** Migration 4: the server instance orchestrating the run, and until when (database clock). */
  orchestrator: Generated<string | null>;
  orchestrator_lease_expires_at: Timestamp;
  /** Migration 4: JSON of the jobs this attempt reuses from the previous one. */
  reused_jobs: Generated<Json | null>;
  /** Migration 4: set with the database's clock by requestRunCancel only. */
  cancel_requested_at: ColumnType<string | null, never, string | null>;
}

export interface JobsTable {
  id: Generated<number>;
  run_id: number;
  attempt: number;
  job_key: string;
  job_id: string;
  name: string;
  matrix: Json | null;
  runs_on: Json;
  needs: Json;
  status: JobStatus;
  conclusion: Conclusion | null;
  stop_reason: StopReason | null;
  outputs: Json | null;
  lease_owner: string | null;
  lease_expires_at: Timestamp;
  claim_count: Generated<number>;
  runner_id: string | null;
  created_at: CreatedAt;
  started_at: Timestamp;
  finished_at: Timestamp;
  /** Migration 3: the runner JobRequest as JSON text; null for jobs that never went through the queue. */
  request: string | null;
  /** Migration 3: set with the database's clock by cancelJob only. */
  cancel_requested_at: ColumnType<string | null, never, string | null>;
}

export interface StepsTable {
  id: Generated<number>;
  job_row_id: number;
  step_index: number;
  step_id: string;
  name: string;
  status: StepStatus;
  outcome: Conclusion | null;
  conclusion: Conclusion | null;
  started_at: Timestamp;
  finished_at: Timestamp;
}

export interface LogChunksTable {
  id: Generated<number>;
  job_row_id: number;
  seq: number;
  byte_offset: number;
  text: string;
  created_at: CreatedAt;
}

export interface ArtifactsTable {
  id: Generated<number>;
  run_id: number;
  name: string;
  digest: string;
  size: number;
  file_count: number;
  created_at: CreatedAt;
  expires_at: string | null;
}

export interface RunnersTable {
  id: Generated<number>;
  name: string;
  labels: Json;
  token_hash: string;
  ephemeral: Generated<number>;
  last_seen_at: Timestamp;
  created_at: CreatedAt;
}

export interface RunnerRegistrationTokensTable {
  id: Generated<number>;
  token_hash: string;
  expires_at: string;
  used_at: Timestamp;
  created_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  delivery_id: string;
  event: string;
  received_at: CreatedAt;
  run_ids: Json;
}

export interface EventsTable {
  id: Generated<number>;
  at: CreatedAt;
  actor: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  trace_id: string | null;
  payload: Json;
}

/** Migration 5: a job the engine holds back before queueing it, and why. */
export interface JobWaitsTable {
  run_id: number;
  attempt: number;
  job_key: string;
  job_id: string;
  name: string;
  reason: "needs" | "concurrency";
  detail: Json;
  since: CreatedAt;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: CreatedAt;
}

export interface Database {
  repositories: RepositoriesTable;
  run_counters: RunCountersTable;
  runs: RunsTable;
  jobs: JobsTable;
  steps: StepsTable;
  log_chunks: LogChunksTable;
  artifacts: ArtifactsTable;
  runners: RunnersTable;
  runner_registration_tokens: RunnerRegistrationTokensTable;
  webhook_deliveries: WebhookDeliveriesTable;
  events: EventsTable;
  job_waits: JobWaitsTable;
  hangar_migrations: MigrationsTable;
}

export type RepositoryRow = Selectable<RepositoriesTable>;
export type RunRow = Selectable<RunsTable>;
export type JobRow = Selectable<JobsTable>;
export type EventRow = Selectable<EventsTable>;
export type LogChunkRow = Selectable<LogChunksTable>;
export type NewRepository = Insertable<RepositoriesTable>;
