// Lists audit events oldest first, filtered by trace, actor, action, resource and time, with keyset pagination.
import { sql } from "kysely";
import type { AuditEvent } from "../audit/event-hash.js";
import { toAuditEvent } from "../audit/event-row.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";

export interface AuditEventFilter {
  /** `<run_id>-<attempt>`. */
  trace?: string;
  actor?: string;
  /** An exact action, or a prefix ending in `*` (`approval:*`). */
  action?: string;
  /** `TYPE` or `TYPE:ID` (`run`, `run:42`). */
  resource?: string;
  /** Bounds on `at`, ISO-8601 or a duration back from now (`30m`, `7d`): since inclusive, until exclusive. */
  since?: string;
  until?: string;
}

export interface AuditEventPage extends AuditEventFilter {
  /** The `nextCursor` of the previous page. */
  cursor?: number;
  /** Page size, 1 to 10000 (default 100). */
  limit?: number;
}

/** Safe under concurrency: one read ordered by id, so pages never repeat or skip an event appended meanwhile. */
export async function listAuditEvents(
  store: Store,
  page: AuditEventPage = {},
): Promise<{ events: AuditEvent[]; nextCursor?: number }> {
  const limit = Math.min(10_000, Math.max(1, page.limit ?? 100));
  let query = store.db.selectFrom("events").selectAll();
  if (page.trace !== undefined) query = query.where("trace_id", "=", page.trace);
  if (page.actor !== undefined) query = query.where("actor", "=", page.actor);
  if (page.action !== undefined)
    query = page.action.endsWith("*")
      ? query.where(sql`substr(action, 1, ${page.action.length - 1})`, "=", page.action.slice(0, -1))
      : query.where("action", "=", page.action);
  if (page.resource !== undefined) {
    const colon = page.resource.indexOf(":");
    query =
      colon < 0
        ? query.where("resource_type", "=", page.resource)
        : query
            .where("resource_type", "=", page.resource.slice(0, colon))
            .where("resource_id", "=", page.resource.slice(colon + 1));
  }
  if (page.since !== undefined) query = query.where("at", ">=", toIsoInstant("since", page.since));
  if (page.until !== undefined) query = query.where("at", "<", toIsoInstant("until", page.until));
  if (page.cursor !== undefined) query = query.where("id", ">", page.cursor);
  const rows = await query
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  const events = rows.slice(0, limit).map(toAuditEvent);
  return rows.length > limit ? { events, nextCursor: events[events.length - 1]!.id } : { events };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * An ISO-8601 time, or a duration back from now (`30m`, `12h`, `7d`), in the stored form SQLite compares as text
 * (ISO-8601 UTC with milliseconds).
 */
function toIsoInstant(field: string, value: string): string {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  const time = relative ? Date.now() - Number(relative[1]) * UNIT_MS[relative[2]!]! : Date.parse(value);
  if (Number.isNaN(time))
    throw new StoreError(
      "STORE_INVALID_ARGUMENT",
      `${field} must be an ISO-8601 time or a duration like 30m, 12h or 7d, got '${value}'`,
    );
  return new Date(time).toISOString();
}
