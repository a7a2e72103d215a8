// Reads audit events page by page (keyset on id), so an export or a verify of millions holds one page in memory.
import { listAuditEvents, type AuditEventFilter } from "../queries/list-audit-events.js";
import type { Store } from "../store.js";
import type { AuditEvent } from "./event-hash.js";

/** Rows per read: large enough that round trips do not dominate (bench/audit.ts), small enough to hold. */
const PAGE_SIZE = 5000;

export async function* streamAuditEvents(
  store: Store,
  filter: AuditEventFilter = {},
): AsyncGenerator<AuditEvent, void, undefined> {
  let cursor: number | undefined;
  do {
    const page = await listAuditEvents(store, { ...filter, cursor, limit: PAGE_SIZE });
    yield* page.events;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}
