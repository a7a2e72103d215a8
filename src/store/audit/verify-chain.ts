// Recomputes the audit hash chain and reports its first broken link, optionally against a signed checkpoint's head.
import type { Store } from "../store.js";
import { GENESIS_HASH, hashEvent, type AuditEvent } from "./event-hash.js";
import { streamAuditEvents } from "./stream-audit-events.js";

/** Contract: how a link broke. */
export type ChainBreakKind =
  /** A row without chain fields: written around recordEvent. */
  | "unchained"
  /** A gap in `seq`: rows were deleted. */
  | "missing"
  /** `seq` goes backwards or repeats: rows were re-inserted or renumbered. */
  | "out-of-order"
  /** A row's prev_hash is not its predecessor's hash: rows deleted and renumbered, or the predecessor rehashed. */
  | "relinked"
  /** A row's content no longer gives its stored hash. */
  | "altered"
  /** The chain head records more events than the table holds: the newest rows were deleted. */
  | "truncated"
  /** The last row is not the one the chain head records: it was changed and rehashed. */
  | "head-mismatch"
  /** The chain does not contain the checkpoint's head: rewritten before it, hashes recomputed. */
  | "checkpoint-mismatch";

export interface ChainBreak {
  kind: ChainBreakKind;
  /** The row where the link broke, when there is one. */
  id: number | null;
  seq: number | null;
  message: string;
}

export interface ChainHead {
  count: number;
  event_id: string | null;
  hash: string;
}

export interface ChainVerification {
  isIntact: boolean;
  /** Events checked (the chain head when verification started; later appends are left for the next run). */
  count: number;
  head: ChainHead;
  broken?: ChainBreak;
}

/** The head as the one-row chain head table records it (the empty chain if there is none). */
export async function readChainHead(store: Store): Promise<ChainHead> {
  const row = await store.db
    .selectFrom("events_chain_head as h")
    .leftJoin("events as e", "e.seq", "h.seq")
    .select(["h.seq", "h.hash", "e.event_id"])
    .executeTakeFirst();
  if (!row) return { count: 0, event_id: null, hash: GENESIS_HASH };
  return { count: Number(row.seq), event_id: row.event_id ?? null, hash: row.hash };
}

/** Safe under concurrency: reads the head first and checks the chain up to it; appends meanwhile are ignored. */
export async function verifyAuditChain(
  store: Store,
  options: { checkpoint?: ChainHead } = {},
): Promise<ChainVerification> {
  const head = await readChainHead(store);
  const result = (broken?: ChainBreak): ChainVerification =>
    broken
      ? { isIntact: false, count: head.count, head, broken }
      : { isIntact: true, count: head.count, head };
  const checkpoint = options.checkpoint;
  if (checkpoint && checkpoint.count > head.count)
    return result({
      kind: "truncated",
      id: null,
      seq: head.count,
      message: `the checkpoint names event ${checkpoint.count} but the chain holds ${head.count}`,
    });
  let previous: AuditEvent | undefined;
  for await (const event of streamAuditEvents(store)) {
    if (!event.hash || !event.seq)
      return result({
        kind: "unchained",
        id: event.id,
        seq: null,
        message: `row ${event.id} has no chain fields: it was written around the chain`,
      });
    const expectedSeq = (previous?.seq ?? 0) + 1;
    // Past the head: appended while verifying.
    if (expectedSeq > head.count) continue;
    const broken = checkLink(event, previous, expectedSeq) ?? checkCheckpoint(event, checkpoint);
    if (broken) return result(broken);
    previous = event;
  }
  const lastSeq = previous?.seq ?? 0;
  if (lastSeq < head.count)
    return result({
      kind: "truncated",
      id: previous?.id ?? null,
      seq: lastSeq,
      message: `the chain head records ${head.count} events but the table ends at seq ${lastSeq}${previous ? ` (row ${previous.id})` : ""}: the newest events were deleted`,
    });
  if ((previous?.hash ?? GENESIS_HASH) !== head.hash)
    return result({
      kind: "head-mismatch",
      id: previous?.id ?? null,
      seq: lastSeq,
      message: `row ${previous?.id} (seq ${lastSeq}) is not the event the chain head records: it was changed and rehashed`,
    });
  return result();
}

function checkLink(
  event: AuditEvent,
  previous: AuditEvent | undefined,
  expectedSeq: number,
): ChainBreak | undefined {
  const at = { id: event.id, seq: event.seq };
  const after = previous ? `row ${previous.id} (seq ${previous.seq})` : "the start of the chain";
  if (event.seq > expectedSeq)
    return {
      kind: "missing",
      ...at,
      message: `row ${event.id} has seq ${event.seq} but seq ${expectedSeq} was expected: ${event.seq - expectedSeq} event(s) deleted after ${after}`,
    };
  if (event.seq < expectedSeq)
    return {
      kind: "out-of-order",
      ...at,
      message: `row ${event.id} has seq ${event.seq} but seq ${expectedSeq} was expected after ${after}`,
    };
  if (event.prev_hash !== (previous?.hash ?? GENESIS_HASH))
    return {
      kind: "relinked",
      ...at,
      message: `row ${event.id}'s prev_hash is not the hash of ${after}: that row was changed and rehashed, or events between them deleted and renumbered`,
    };
  if (hashEvent(event) !== event.hash)
    return {
      kind: "altered",
      ...at,
      message: `row ${event.id} (seq ${event.seq}, ${event.action}) was altered: its content does not give its stored hash`,
    };
  return undefined;
}

function checkCheckpoint(event: AuditEvent, checkpoint: ChainHead | undefined): ChainBreak | undefined {
  if (!checkpoint || event.seq !== checkpoint.count) return undefined;
  if (event.hash === checkpoint.hash && event.event_id === checkpoint.event_id) return undefined;
  return {
    kind: "checkpoint-mismatch",
    id: event.id,
    seq: event.seq,
    message: `row ${event.id} (seq ${event.seq}) is not the checkpoint's head event ${checkpoint.event_id}: the chain was rewritten at or before it`,
  };
}
