// Runs work in one write transaction: PostgreSQL's default, SQLite's BEGIN IMMEDIATE (takes the write lock up front).
import { setTimeout as sleep } from "node:timers/promises";
import { sql, type Kysely } from "kysely";
import { emitPendingWakes } from "./notify.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

/**
 * PostgreSQL ends one transaction of a deadlock (40P01) or a serialization conflict (40001); its manual's answer is
 * to run the transaction again. Every event-writing transaction meets the others on the audit chain's head row, so
 * two that lock their other rows in a different order (a cancel: run, head, job; a heartbeat: job, head) can collide.
 */
const retriedPostgresErrors = new Set(["40P01", "40001"]);
const maxPostgresAttempts = 5;

/** `work` may run more than once on PostgreSQL: it must touch nothing but the transaction. */
export async function runInTransaction<T>(
  store: Store,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === "postgres") {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.db.transaction().execute(work);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt === maxPostgresAttempts || typeof code !== "string" || !retriedPostgresErrors.has(code)) {
          throw error;
        }
        // Jittered, so the two victims of one collision do not meet again in step.
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }
  // Kysely's SQLite transactions BEGIN DEFERRED; a deferred reader that later writes can fail with SQLITE_BUSY
  // instead of waiting, so every write transaction takes the lock first (sqlite.org/lang_transaction.html).
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    let result: T;
    try {
      result = await work(connection);
    } catch (error) {
      // SQLite has already rolled back after some errors (e.g. SQLITE_FULL); the work's error is the one to report.
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
    await sql`commit`.execute(connection);
    emitPendingWakes(store, connection);
    return result;
  });
}
