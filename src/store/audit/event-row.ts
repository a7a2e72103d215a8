// The mapping between an audit event and its events row, both ways; the only place that knows the row's shape.
import type { Insertable, Selectable } from "kysely";
import type { EventsTable } from "../schema.js";
import { canonicalJson, type AuditEvent } from "./event-hash.js";

/** Empty chain fields mark a row written around recordEvent; `verifyAuditChain` reports it. */
export function toAuditEvent(row: Selectable<EventsTable>): AuditEvent {
  return {
    id: row.id,
    seq: Number(row.seq ?? 0),
    event_id: row.event_id ?? "",
    trace_id: row.trace_id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resource: { type: row.resource_type, id: row.resource_id },
    status: row.status,
    latency_ms: row.latency_ms === null ? null : Number(row.latency_ms),
    metadata: JSON.parse(row.payload) as unknown,
    prev_hash: row.prev_hash ?? "",
    hash: row.hash ?? "",
  };
}

/** The row that stores `event` (its metadata as canonical JSON text). */
export function toEventRow(event: Omit<AuditEvent, "id">): Insertable<EventsTable> {
  return {
    seq: event.seq,
    event_id: event.event_id,
    trace_id: event.trace_id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    resource_type: event.resource.type,
    resource_id: event.resource.id,
    status: event.status,
    latency_ms: event.latency_ms,
    payload: canonicalJson(event.metadata),
    prev_hash: event.prev_hash,
    hash: event.hash,
  };
}
