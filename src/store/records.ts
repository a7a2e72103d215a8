// The decoded shapes queries return (camelCase, JSON parsed), and the row decoders that build them.
import type { JobRow, LogChunkRow, RepositoryRow, RunRow, WebhookDeliveryRow } from "./schema.js";
import type { Conclusion, DeliveryStatus, JobStatus, RunStatus, StopReason } from "../contracts/index.js";

export interface Run {
  id: number;
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  event: string;
  sha: string;
  ref: string;
  actor: string;
  runNumber: number;
  attempt: number;
  status: RunStatus;
  conclusion: Conclusion | null;
  payload: unknown;
  concurrencyGroup: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the run ended as it did when no job says it (it failed before any job, or could not be resumed). */
  message: string | null;
}

export interface Job {
  /** The job row's id (unique across runs and attempts). */
  id: number;
  runId: number;
  attempt: number;
  /** Unique per run attempt: the job id plus matrix values, e.g. `test (20, linux)`. */
  key: string;
  /** The workflow's job id. */
  jobId: string;
  name: string;
  matrix: Record<string, unknown> | null;
  /** Lower-cased labels, all of which a runner must have. */
  runsOn: string[];
  needs: string[];
  status: JobStatus;
  conclusion: Conclusion | null;
  stopReason: StopReason | null;
  outputs: Record<string, string> | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  /** How many times a runner has claimed this job; the sweeper fails it as runner_lost past a limit. */
  claimCount: number;
  runnerId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the job ended as it did: its first failure, or what stopped it. */
  message: string | null;
}

export interface LogChunk {
  seq: number;
  byteOffset: number;
  text: string;
}

export interface Repository {
  id: number;
  name: string;
  gitUrl: string;
  webhookSecret: string | null;
  defaultBranch: string;
  createdAt: string;
}

export function toRepository(row: RepositoryRow): Repository {
  return {
    id: row.id,
    name: row.name,
    gitUrl: row.git_url,
    webhookSecret: row.webhook_secret,
    defaultBranch: row.default_branch,
    createdAt: row.created_at,
  };
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    workflowFile: row.workflow_file,
    workflowName: row.workflow_name,
    event: row.event,
    sha: row.sha,
    ref: row.ref,
    actor: row.actor,
    runNumber: row.run_number,
    attempt: row.attempt,
    status: row.status,
    conclusion: row.conclusion,
    payload: JSON.parse(row.payload),
    concurrencyGroup: row.concurrency_group,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    message: row.message,
  };
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    runId: row.run_id,
    attempt: row.attempt,
    key: row.job_key,
    jobId: row.job_id,
    name: row.name,
    matrix: row.matrix === null ? null : (JSON.parse(row.matrix) as Record<string, unknown>),
    runsOn: JSON.parse(row.runs_on) as string[],
    needs: JSON.parse(row.needs) as string[],
    status: row.status,
    conclusion: row.conclusion,
    stopReason: row.stop_reason,
    outputs: row.outputs === null ? null : (JSON.parse(row.outputs) as Record<string, string>),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    claimCount: row.claim_count,
    runnerId: row.runner_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    message: row.message,
  };
}

export function toLogChunk(row: Pick<LogChunkRow, "seq" | "byte_offset" | "text">): LogChunk {
  return { seq: row.seq, byteOffset: row.byte_offset, text: row.text };
}

/** A received webhook delivery (or a scheduled time) and where it is in the intake queue. */
export interface Delivery {
  id: number;
  /** GitHub's X-GitHub-Delivery. */
  deliveryId: string;
  event: string;
  receivedAt: string;
  status: DeliveryStatus;
  /** Attempts to read its workflows so far. */
  attempts: number;
  /** When a queued delivery that failed is tried again; null when due now. */
  nextAttemptAt: string | null;
  handledAt: string | null;
  /** The last attempt's error: why it is being retried, or why it failed. */
  error: string | null;
  /** The runs it created; empty when it created none or is still being taken. */
  runIds: number[];
  /** Workflow files its event did not trigger, and why. */
  skipped: { file: string; reason: string }[];
  /** Workflow files that did not load, with their problems. */
  invalid: { file: string; problems: string[] }[];
}

/** What reading a delivery's workflows found besides runs (webhook_deliveries.result). */
export interface IntakeFindings {
  skipped: Delivery["skipped"];
  invalid: Delivery["invalid"];
}

export function toDelivery(row: WebhookDeliveryRow): Delivery {
  const findings =
    row.result === null ? { skipped: [], invalid: [] } : (JSON.parse(row.result) as IntakeFindings);
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    event: row.event,
    receivedAt: row.received_at,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    handledAt: row.handled_at,
    error: row.error,
    runIds: JSON.parse(row.run_ids) as number[],
    skipped: findings.skipped,
    invalid: findings.invalid,
  };
}
