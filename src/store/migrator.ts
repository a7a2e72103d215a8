// Applies pending migrations on open, one transaction each, under a lock; refuses a schema newer than this code.
// Hand-written rather than Kysely's Migrator: that one records a migration after running it and cannot take
// SQLite's write lock across processes, and its error for a newer schema names a "missing" file instead.
import { sql, type Kysely } from "kysely";
import type { Migration } from "./migrations/index.js";
import { columnTypes } from "./migrations/column-types.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";
import { StoreError } from "./store-error.js";
import { runInTransaction } from "./transaction.js";

/** Arbitrary but fixed key for pg_advisory_xact_lock: serialises migrators across processes. */
const MIGRATION_LOCK_KEY = 4_815_162_342;

/** Applies each pending migration in order; returns the versions this call applied. */
export async function migrateToLatest(store: Store, migrations: readonly Migration[]): Promise<number[]> {
  const applied: number[] = [];
  for (;;) {
    const version = await runInTransaction(store, (trx) => applyNextMigration(store, trx, migrations));
    if (version === undefined) return applied;
    applied.push(version);
  }
}

async function applyNextMigration(
  store: Store,
  trx: Kysely<Database>,
  migrations: readonly Migration[],
): Promise<number | undefined> {
  // The lock is held until commit, so a second process starting now waits and then sees this migration's row.
  if (store.dialect === "postgres")
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
  const types = columnTypes(store.dialect);
  await trx.schema
    .createTable("hangar_migrations")
    .ifNotExists()
    .addColumn("version", "integer", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("applied_at", types.timestamp, (c) => c.notNull().defaultTo(types.now))
    .execute();
  const rows = await trx
    .selectFrom("hangar_migrations")
    .select(["version", "name"])
    .orderBy("version")
    .execute();
  const known = new Set(migrations.map((m) => m.version));
  const unknown = rows.filter((row) => !known.has(row.version));
  if (unknown.length > 0) {
    const newest = unknown[unknown.length - 1]!;
    const latest = Math.max(0, ...known);
    throw new StoreError(
      "STORE_SCHEMA_TOO_NEW",
      `the database schema is at migration ${newest.version} (${newest.name}) but this hangar knows migrations ` +
        `up to ${latest}: a newer hangar has migrated this database; run that version or use another database`,
    );
  }
  const done = new Set(rows.map((row) => row.version));
  const next = [...migrations].sort((a, b) => a.version - b.version).find((m) => !done.has(m.version));
  if (!next) return undefined;
  // Row first: should two migrators ever pass the lock, the primary key makes the second fail before any DDL.
  await trx.insertInto("hangar_migrations").values({ version: next.version, name: next.name }).execute();
  try {
    await next.up(trx, store.dialect);
  } catch (error) {
    throw new StoreError(
      "STORE_MIGRATION_FAILED",
      `migration ${next.version} (${next.name}) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return next.version;
}
