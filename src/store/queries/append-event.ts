// Records an act that changes nothing else in the store (e.g. an audit export) as an event in its own transaction.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent, type NewEvent } from "./record-event.js";

/** Safe under concurrency: recordEvent serialises appends on the chain head. */
export async function appendEvent(store: Store, event: NewEvent): Promise<void> {
  await runInTransaction(store, (trx) => recordEvent(trx, event));
}
