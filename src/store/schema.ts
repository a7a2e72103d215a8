// The Kysely `Database` interface: every table's row shape as the store reads and writes it, on both dialects.
// Timestamps are ISO-8601 UTC strings and JSON columns are JSON text on both (database.ts sets PostgreSQL's parsers).
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type {
  Conclusion,
  DeliveryStatus,
  JobStatus,
  JobWaitReason,
  RunStatus,
  StepStatus,
  StopReason,
} from "../contracts/index.js";

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
  /** Migration 9: JSON array of branch patterns protected besides the default branch. */
  protected_branches: Generated<Json>;
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
  /** Migration 12: why the run ended as it did, when it ended otherwise than its jobs say (e.g. before any job). */
  message: Generated<string | null>;
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
  /** Migration 12: why the job ended as it did (its first failure, a stop reason's detail). */
  message: Generated<string | null>;
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
  /** Migration 13: the intake queue (null on deliveries handled before it). */
  status: Generated<DeliveryStatus>;
  repository_id: number | null;
  actor: string | null;
  payload: Json | null;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Timestamp;
  handled_at: Timestamp;
  error: string | null;
  result: Json | null;
}

export interface EventsTable {
  id: Generated<number>;
  /** Set by recordEvent from the database's clock read under the chain lock, so the hash covers the stored value. */
  at: ColumnType<string, string | undefined, never>;
  actor: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  trace_id: string | null;
  payload: Json;
  /** Migration 7: the audit envelope and hash chain (src/store/audit/event-hash.ts); null only on rows that bypassed it. */
  event_id: string | null;
  seq: number | null;
  status: string | null;
  latency_ms: number | null;
  prev_hash: string | null;
  hash: string | null;
}

/** Migration 7: the one-row head of the audit chain; appends lock it, so the chain stays linear across processes. */
export interface EventsChainHeadTable {
  id: number;
  seq: number;
  hash: string;
  at: ColumnType<string, string | undefined, string>;
}

/** Migration 5: a job the engine holds back before queueing it, and why. */
export interface JobWaitsTable {
  run_id: number;
  attempt: number;
  job_key: string;
  job_id: string;
  name: string;
  reason: JobWaitReason;
  detail: Json;
  /** Set on insert; recordJobWait restarts it when the reason changes. */
  since: ColumnType<string, never, string>;
}

/** Migration 8: a secret's AES-256-GCM ciphertext (base64 fields); `environment` is '' at repository scope. */
export interface SecretsTable {
  repository_id: number;
  environment: string;
  name: string;
  /** Which key sealed it (a fingerprint, never the key). */
  key_id: string;
  nonce: string;
  ciphertext: string;
  auth_tag: string;
  created_at: CreatedAt;
  updated_at: ColumnType<string, never, string>;
}

/** Migration 8: a configuration variable (not secret: shown by the API); `environment` is '' at repository scope. */
export interface VariablesTable {
  repository_id: number;
  environment: string;
  name: string;
  value: string;
  created_at: CreatedAt;
  updated_at: ColumnType<string, never, string>;
}

/** Migration 10: an API token with its role; only the token's SHA-256 is kept. */
export interface ApiTokensTable {
  id: Generated<number>;
  user_name: string;
  role: "viewer" | "operator" | "approver" | "admin";
  /** JSON array of environment names an approver may approve (`*` for all); empty for other roles. */
  environments: Json;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: string | null;
  revoked_at: Timestamp;
  last_used_at: Timestamp;
}

/** Migration 11: one concurrency group of one repository: its running holder and at most one pending holder. */
export interface ConcurrencySlotsTable {
  repository_id: number;
  /** The group's name lower-cased: GitHub compares group names case-insensitively. */
  group_key: string;
  group_name: string;
  running_run_id: number;
  running_attempt: number;
  /** Null when the holder is the whole run (the workflow's group). */
  running_job_key: string | null;
  running_cancel_requested_at: Timestamp;
  pending_run_id: number | null;
  pending_attempt: number | null;
  pending_job_key: string | null;
}

/** Migration 9: a named list of users an environment can name as one reviewer. */
export interface ReviewerGroupsTable {
  id: Generated<number>;
  name: string;
  users: Json;
  created_at: CreatedAt;
  updated_at: ColumnType<string, never, string>;
}

/** Migration 9: a deployment environment and its protection rules (GitHub's names and limits). */
export interface EnvironmentsTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  /** JSON array of `{ type: "user" | "group", name }`. */
  reviewers: Generated<Json>;
  required_approvals: Generated<number>;
  prevent_self_review: Generated<number>;
  /** Minutes. */
  wait_timer: Generated<number>;
  branch_policy: Generated<"all" | "protected" | "custom">;
  branch_patterns: Generated<Json>;
  can_admins_bypass: Generated<number>;
  created_at: CreatedAt;
  updated_at: ColumnType<string, never, string>;
}

/** Migration 9: one decision on one job waiting at an environment's gate. */
export interface ApprovalsTable {
  id: Generated<number>;
  run_id: number;
  attempt: number;
  job_key: string;
  environment: string;
  decision: "approved" | "rejected" | "bypassed";
  actor: string;
  comment: Generated<string>;
  created_at: CreatedAt;
}

/** Migration 9: a job that ran in an environment. */
export interface DeploymentsTable {
  id: Generated<number>;
  repository_id: number;
  environment: string;
  ref: string;
  sha: string;
  run_id: number;
  attempt: number;
  job_key: string;
  status: "success" | "failure" | "cancelled";
  url: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<string, never, string>;
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
  events_chain_head: EventsChainHeadTable;
  job_waits: JobWaitsTable;
  concurrency_slots: ConcurrencySlotsTable;
  secrets: SecretsTable;
  variables: VariablesTable;
  api_tokens: ApiTokensTable;
  reviewer_groups: ReviewerGroupsTable;
  environments: EnvironmentsTable;
  approvals: ApprovalsTable;
  deployments: DeploymentsTable;
  hangar_migrations: MigrationsTable;
}

export type RepositoryRow = Selectable<RepositoriesTable>;
export type RunRow = Selectable<RunsTable>;
export type JobRow = Selectable<JobsTable>;
export type EventRow = Selectable<EventsTable>;
export type LogChunkRow = Selectable<LogChunksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type NewRepository = Insertable<RepositoriesTable>;
