// The JSON schemas of the API's bodies: fastify validates requests and serialises responses with them, and
// @fastify/swagger turns them into the OpenAPI description. Contract: fields are added, never renamed.
import {
  APPROVAL_WAITS,
  CONCLUSIONS,
  DELIVERY_STATUSES,
  JOB_STATUSES,
  RUN_STATUSES,
  STEP_STATUSES,
  STOP_REASONS,
  WAITING_REASONS,
} from "../../contracts/index.js";

const string = { type: "string" } as const;
const integer = { type: "integer" } as const;
const nullableString = { type: ["string", "null"] } as const;
const timestamp = { type: "string", description: "ISO-8601 UTC" } as const;
const nullableTimestamp = { type: ["string", "null"], description: "ISO-8601 UTC" } as const;
const conclusion = { type: ["string", "null"], enum: [...CONCLUSIONS, null] } as const;

export { errorResponses, errorSchema, idParams } from "../route-schemas.js";

/** `?cursor=&limit=` as every list takes them: pass the previous page's `nextCursor` for the next page. */
export const pageQuery = {
  cursor: { type: "integer", minimum: 1 },
  limit: { type: "integer", minimum: 1, maximum: 100, default: 25 },
} as const;

/** A list page: `key` holds the items; `nextCursor` is absent on the last page. */
export function pageOf(key: string, item: object) {
  return {
    type: "object",
    properties: { [key]: { type: "array", items: item }, nextCursor: integer },
    required: [key],
  } as const;
}

export const runSchema = {
  type: "object",
  properties: {
    id: integer,
    repositoryId: integer,
    workflowFile: string,
    workflowName: string,
    event: string,
    sha: string,
    ref: string,
    actor: string,
    runNumber: integer,
    attempt: integer,
    status: { type: "string", enum: RUN_STATUSES },
    conclusion,
    payload: { type: "object", additionalProperties: true },
    concurrencyGroup: nullableString,
    createdAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    /** Why the run ended as it did when no job says it, e.g. it failed before any job. */
    message: nullableString,
  },
  required: ["id", "workflowFile", "event", "sha", "ref", "runNumber", "attempt", "status", "conclusion"],
} as const;

/**
 * Why a job has not started: its `needs` (names in `needs`), a concurrency group (`group`), an environment's
 * protection rules (`environment`, `waitingFor`: reviewers, the wait timer), no online runner with
 * every one of its labels (`labels`), or every such runner busy (`runners`). Contract: the reasons.
 */
export const waitingSchema = {
  type: "object",
  properties: {
    reason: { type: "string", enum: WAITING_REASONS },
    message: string,
    needs: { type: "array", items: string },
    group: string,
    labels: { type: "array", items: string },
    runners: { type: "array", items: string },
    environment: string,
    waitingFor: { type: "array", items: { type: "string", enum: APPROVAL_WAITS } },
    since: timestamp,
  },
  required: ["reason", "message"],
} as const;

export const stepSchema = {
  type: "object",
  properties: {
    number: { type: "integer", description: "1, 2, 3 ... in the order the steps started" },
    stepId: string,
    name: string,
    status: { type: "string", enum: STEP_STATUSES },
    outcome: conclusion,
    conclusion,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
  },
  required: ["number", "name", "status", "outcome", "conclusion"],
} as const;

export const jobSchema = {
  type: "object",
  properties: {
    id: integer,
    runId: integer,
    attempt: integer,
    key: string,
    jobId: string,
    name: string,
    matrix: { type: ["object", "null"], additionalProperties: true },
    runsOn: { type: "array", items: string },
    needs: { type: "array", items: string },
    status: { type: "string", enum: JOB_STATUSES },
    conclusion,
    stopReason: { type: ["string", "null"], enum: [...STOP_REASONS, null] },
    outputs: { type: ["object", "null"], additionalProperties: string },
    runnerId: nullableString,
    claimCount: integer,
    createdAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    /** Why the job ended as it did: its first failure, or what stopped it. */
    message: nullableString,
    steps: { type: "array", items: stepSchema },
    waiting: { anyOf: [waitingSchema, { type: "null" }] },
  },
  required: ["id", "runId", "attempt", "key", "jobId", "name", "status", "conclusion", "steps", "waiting"],
} as const;

/** A job the engine holds back before it has a job row (its needs, a concurrency group). */
export const pendingJobSchema = {
  type: "object",
  properties: { attempt: integer, key: string, jobId: string, name: string, waiting: waitingSchema },
  required: ["attempt", "key", "jobId", "name", "waiting"],
} as const;

export const logChunkSchema = {
  type: "object",
  properties: { seq: integer, byteOffset: integer, text: string },
  required: ["seq", "byteOffset", "text"],
} as const;

export const runnerSchema = {
  type: "object",
  properties: {
    id: string,
    name: string,
    labels: { type: "array", items: string },
    isEphemeral: { type: "boolean" },
    status: {
      type: "string",
      enum: ["online", "offline"],
      description: "online: claimed or heartbeated lately",
    },
    lastSeenAt: nullableTimestamp,
    busyJobId: { type: ["integer", "null"], description: "the job it runs; null when idle" },
    createdAt: timestamp,
  },
  required: ["id", "name", "labels", "status", "lastSeenAt", "busyJobId"],
} as const;

export const repositorySchema = {
  type: "object",
  properties: {
    id: integer,
    name: string,
    gitUrl: string,
    defaultBranch: string,
    hasWebhookSecret: { type: "boolean" },
    createdAt: timestamp,
  },
  required: ["id", "name", "gitUrl", "defaultBranch", "hasWebhookSecret"],
} as const;

/** GitHub's X-GitHub-Delivery (a GUID) or the scheduler's id of one scheduled time. */
export const deliveryParams = {
  type: "object",
  properties: { deliveryId: { type: "string", minLength: 1, maxLength: 512 } },
  required: ["deliveryId"],
} as const;

const fileProblems = {
  type: "array",
  items: {
    type: "object",
    properties: { file: string, problems: { type: "array", items: string } },
    required: ["file", "problems"],
  },
} as const;

export const deliverySchema = {
  type: "object",
  properties: {
    id: integer,
    deliveryId: string,
    event: string,
    receivedAt: timestamp,
    status: {
      type: "string",
      enum: DELIVERY_STATUSES,
      description:
        "queued (received, or waiting to be retried), in_progress, handled, failed (out of attempts)",
    },
    attempts: integer,
    nextAttemptAt: { ...nullableTimestamp, description: "when a failed attempt is retried" },
    handledAt: nullableTimestamp,
    error: { ...nullableString, description: "the last attempt's error" },
    runIds: { type: "array", items: integer, description: "the runs it created" },
    skipped: {
      type: "array",
      items: { type: "object", properties: { file: string, reason: string }, required: ["file", "reason"] },
      description: "workflow files its event did not trigger",
    },
    invalid: { ...fileProblems, description: "workflow files that did not load" },
  },
  required: ["id", "deliveryId", "event", "receivedAt", "status", "attempts", "runIds", "skipped", "invalid"],
} as const;
