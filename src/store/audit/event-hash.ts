// The audit envelope and its hash: the one definition of what a chained event is and how its SHA-256 is computed.
// Contract: changing the canonical form breaks every stored chain; add a new version instead.
import { createHash } from "node:crypto";

/** The prev_hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** Contract: one audit event as the API, `hangar audit query|export` and the hash see it. */
export interface AuditEvent {
  /** The row id (not hashed: the chain's order is `seq`). */
  id: number;
  /** The event's position in the chain, 1, 2, 3 ... without gaps. */
  seq: number;
  event_id: string;
  /** `<run_id>-<attempt>` for the events of a run, its jobs and steps. */
  trace_id: string | null;
  /** ISO-8601 UTC with milliseconds. */
  at: string;
  actor: string | null;
  action: string;
  resource: { type: string; id: string };
  status: string | null;
  latency_ms: number | null;
  /** The redacted metadata: names and ids, never a secret value. */
  metadata: unknown;
  prev_hash: string;
  hash: string;
}

/**
 * JSON with object keys sorted by UTF-16 code unit at every level and no whitespace: RFC 8785 (JCS) for the values
 * hangar stores, whose numbers JSON.stringify already writes in ECMAScript form. Hand-written: a few lines.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeys(item);
  }
  return sorted;
}

/**
 * hash = hex(SHA-256(UTF-8(canonicalJson(envelope)))), the envelope being the event without `id` and `hash`, with
 * `prev_hash` (the previous event's hash, GENESIS_HASH for the first). So an export alone can be re-verified.
 */
export function hashEvent(event: Omit<AuditEvent, "id" | "hash">): string {
  const envelope = {
    seq: event.seq,
    event_id: event.event_id,
    trace_id: event.trace_id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    resource: event.resource,
    status: event.status,
    latency_ms: event.latency_ms,
    metadata: event.metadata,
    prev_hash: event.prev_hash,
  };
  return createHash("sha256").update(canonicalJson(envelope), "utf8").digest("hex");
}
