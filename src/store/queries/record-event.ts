// Appends one event to the audit chain (the audit layer's base). Always called inside the transaction that caused it.
import type { EventAction } from "../../contracts/index.js";
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { GENESIS_HASH, hashEvent } from "../audit/event-hash.js";
import { toEventRow } from "../audit/event-row.js";
import type { Database } from "../schema.js";

/** Contract: the kinds of resource an event is about. */
export const EVENT_RESOURCE_TYPES = [
  "run",
  "job",
  "repository",
  "runner",
  "delivery",
  "environment",
  "secret",
  "variable",
  "token",
  "approval",
  "deployment",
  "artifact",
  "audit",
] as const;
export type EventResourceType = (typeof EVENT_RESOURCE_TYPES)[number];

export interface NewEvent {
  action: EventAction;
  resourceType: EventResourceType;
  resourceId: number | string;
  actor?: string | null;
  /** Default: `<run_id>-<attempt>` from `run`, or for a run or job resource from its row. */
  traceId?: string | null;
  /** The run attempt the event belongs to, when the resource is not the run or job itself (e.g. an approval). */
  run?: { id: number; attempt: number };
  /** The act's outcome where it has one, e.g. `success`, `failure`, `refused`. */
  status?: string | null;
  /** How long the act took, where the caller measured it. */
  latencyMs?: number | null;
  /** The redacted metadata: names, ids and outcomes, never a secret value. */
  payload: Record<string, unknown>;
}

/**
 * Safe under concurrency: the upsert on the one-row chain head locks it until the caller's transaction ends
 * (PostgreSQL's row lock; SQLite's write transactions are serialised by BEGIN IMMEDIATE), so appends from every
 * process and replica form one linear chain. A rolled-back transaction takes its head update with it: no gaps.
 */
export async function recordEvent(trx: Kysely<Database>, event: NewEvent): Promise<void> {
  // `excluded.at` is the column default, the database's clock, read in the same statement that takes the lock.
  const head = await trx
    .insertInto("events_chain_head")
    .values({ id: 1, seq: 1, hash: GENESIS_HASH })
    .onConflict((conflict) =>
      conflict.column("id").doUpdateSet((eb) => ({
        seq: eb("events_chain_head.seq", "+", 1),
        at: eb.ref("excluded.at"),
      })),
    )
    .returning(["seq", "hash", "at"])
    .executeTakeFirstOrThrow();
  const metadata = JSON.parse(JSON.stringify(event.payload)) as Record<string, unknown>;
  const envelope = {
    seq: Number(head.seq),
    event_id: randomUUID(),
    trace_id: event.traceId ?? (await deriveTraceId(trx, event)),
    at: head.at,
    actor: event.actor ?? null,
    action: event.action,
    resource: { type: event.resourceType, id: String(event.resourceId) },
    status: event.status ?? null,
    latency_ms: event.latencyMs == null ? null : Math.round(event.latencyMs),
    metadata,
    prev_hash: head.hash,
  };
  const hash = hashEvent(envelope);
  await trx
    .insertInto("events")
    .values(toEventRow({ ...envelope, hash }))
    .execute();
  await trx.updateTable("events_chain_head").set({ hash }).where("id", "=", 1).execute();
}

async function deriveTraceId(trx: Kysely<Database>, event: NewEvent): Promise<string | null> {
  if (event.run) return `${event.run.id}-${event.run.attempt}`;
  const id = Number(event.resourceId);
  if (!Number.isInteger(id)) return null;
  if (event.resourceType === "run") {
    const run = await trx.selectFrom("runs").select("attempt").where("id", "=", id).executeTakeFirst();
    return run ? `${id}-${run.attempt}` : null;
  }
  if (event.resourceType === "job") {
    const job = await trx
      .selectFrom("jobs")
      .select(["run_id", "attempt"])
      .where("id", "=", id)
      .executeTakeFirst();
    return job ? `${job.run_id}-${job.attempt}` : null;
  }
  return null;
}
