// Opens the store: SQLite (`<dataDir>/hangar.db`) by default, PostgreSQL when given a postgres:// URL; migrates on open.
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { migrateToLatest } from "./migrator.js";
import { MIGRATIONS, type Migration } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";
import { StoreError } from "./store-error.js";

export interface OpenStoreOptions {
  /** DATABASE_URL: `postgres://` or `postgresql://` selects PostgreSQL; unset selects SQLite. */
  url?: string;
  dataDir: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** The migrations to apply (tests pass extra ones); default: hangar's. */
  migrations?: readonly Migration[];
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.url?.trim();
  const store = url ? openPostgres(url, options.poolSize ?? 10) : openSqlite(options.dataDir);
  try {
    await migrateToLatest(store, options.migrations ?? MIGRATIONS);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** pg's parsers for the types whose default JS shape differs from SQLite's, so store code is written once. */
const POSTGRES_PARSERS = new Map<number, (text: string) => unknown>([
  // Ids and counts stay far below 2^53.
  [pg.types.builtins.INT8, Number],
  [pg.types.builtins.TIMESTAMPTZ, toIsoTimestamp],
  // JSON columns are JSON text on both dialects; records.ts parses them.
  [pg.types.builtins.JSONB, (text) => text],
  [pg.types.builtins.JSON, (text) => text],
]);

function openPostgres(url: string, poolSize: number): Store {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new StoreError(
      "STORE_UNSUPPORTED_URL",
      `unsupported database URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//***@"))}: expected postgres:// or postgresql://`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        POSTGRES_PARSERS.get(oid) ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: "postgres", url, jobWakes: new EventEmitter(), close: () => db.destroy() };
}

/** PostgreSQL's text timestamp (`2024-01-01 12:00:00.123456+00`) as the ISO form SQLite's strftime produces. */
function toIsoTimestamp(text: string): string {
  const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  return new Date(iso).toISOString();
}

/**
 * Two processes switching a new file to WAL at once can get SQLITE_BUSY without the busy handler being called
 * (SQLite's deadlock avoidance), so the switch is retried briefly; opening is synchronous anyway.
 */
function enableWal(database: SqliteDatabase.Database): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      database.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 40);
    }
  }
}

interface SharedSqlite {
  db: Kysely<Database>;
  jobWakes: EventEmitter;
  refs: number;
}

/**
 * One connection per file per process: better-sqlite3 is synchronous, so a second connection in this process waiting
 * for the write lock would block the very thread that holds it until busy_timeout. Other processes wait normally.
 */
const openSqliteFiles = new Map<string, SharedSqlite>();

function openSqlite(dataDir: string): Store {
  const file = path.resolve(dataDir, "hangar.db");
  let shared = openSqliteFiles.get(file);
  if (!shared) {
    mkdirSync(path.dirname(file), { recursive: true });
    const database = new SqliteDatabase(file);
    // Another process holding a lock is waited for, not reported as SQLITE_BUSY; first, as switching to WAL locks too.
    database.pragma("busy_timeout = 10000");
    enableWal(database);
    database.pragma("foreign_keys = ON");
    // Durable at each checkpoint and safe against corruption in WAL mode (sqlite.org/pragma.html#pragma_synchronous).
    database.pragma("synchronous = NORMAL");
    shared = {
      db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }),
      jobWakes: new EventEmitter(),
      refs: 0,
    };
    openSqliteFiles.set(file, shared);
  }
  shared.refs += 1;
  const entry = shared;
  let isClosed = false;
  return {
    db: entry.db,
    dialect: "sqlite",
    url: undefined,
    jobWakes: entry.jobWakes,
    close: async () => {
      if (isClosed) return;
      isClosed = true;
      entry.refs -= 1;
      if (entry.refs === 0) {
        openSqliteFiles.delete(file);
        await entry.db.destroy();
      }
    },
  };
}
