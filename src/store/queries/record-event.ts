// Appends one row to the events table (the audit layer's base). Always called inside the transaction that caused it.
import type { Kysely } from "kysely";
import type { Database } from "../schema.js";

export interface NewEvent {
  /** Contract: an `entity:past-tense` event name, e.g. `job:finished`. */
  action: string;
  resourceType: "run" | "job" | "repository" | "runner" | "delivery";
  resourceId: number | string;
  actor?: string | null;
  traceId?: string | null;
  payload: Record<string, unknown>;
}

/** Safe under concurrency: an insert of a fresh row; the caller's transaction makes it atomic with the change. */
export async function recordEvent(trx: Kysely<Database>, event: NewEvent): Promise<void> {
  await trx
    .insertInto("events")
    .values({
      action: event.action,
      resource_type: event.resourceType,
      resource_id: String(event.resourceId),
      actor: event.actor ?? null,
      trace_id: event.traceId ?? null,
      payload: JSON.stringify(event.payload),
    })
    .execute();
}
