// Tampering with the audit trail as a database superuser or the table's owner would, for the tests that must catch it.
import { sql } from "kysely";
import { hashEvent, streamAuditEvents, type AuditEvent, type Store } from "../../src/store/index.js";

/** Every event, oldest first. */
export async function events(store: Store): Promise<AuditEvent[]> {
  const all: AuditEvent[] = [];
  for await (const event of streamAuditEvents(store)) all.push(event);
  return all;
}

/** Runs `work` with the append-only triggers out of the way, as the table's owner or a superuser can. */
export async function asSuperuser(store: Store, work: (db: Store["db"]) => Promise<unknown>): Promise<void> {
  if (store.dialect === "postgres") {
    await store.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await work(trx);
    });
    return;
  }
  const { rows } = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'events'`.execute(store.db);
  for (const trigger of rows) await sql`drop trigger ${sql.ref(trigger.name)}`.execute(store.db);
  try {
    await work(store.db);
  } finally {
    for (const trigger of rows) await sql.raw(trigger.sql).execute(store.db);
  }
}

/** Rewrites every event from `fromSeq` on with valid hashes, and the head: what a careful attacker does. */
export async function recomputeChain(store: Store, fromSeq: number): Promise<void> {
  const all = await events(store);
  await asSuperuser(store, async (db) => {
    let prev = all[fromSeq - 2]?.hash;
    for (const event of all.slice(fromSeq - 1)) {
      const hash = hashEvent({ ...event, prev_hash: prev! });
      await db.updateTable("events").set({ prev_hash: prev!, hash }).where("id", "=", event.id).execute();
      prev = hash;
    }
    await db.updateTable("events_chain_head").set({ hash: prev! }).execute();
  });
}
