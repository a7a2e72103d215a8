// Runs work in one write transaction: PostgreSQL's default, SQLite's BEGIN IMMEDIATE (takes the write lock up front).
import { sql, type Kysely } from "kysely";
import { emitPendingWakes } from "./notify.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

export async function runInTransaction<T>(
  store: Store,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === "postgres") return store.db.transaction().execute(work);
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
