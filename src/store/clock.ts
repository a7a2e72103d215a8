// The database's clock as SQL fragments, so queue and lease times never depend on a machine's wall clock.
// One clock per statement: PostgreSQL's now() is fixed per transaction; SQLite's 'now' is fixed per sqlite3_step.
import { sql, type RawBuilder } from "kysely";
import type { Dialect } from "./store.js";

/** The current time as the ISO-8601 UTC text both dialects compare and return. */
export function sqlNow(dialect: Dialect): RawBuilder<string> {
  return dialect === "postgres" ? sql<string>`now()` : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
}

/** The current time plus (or minus) `ms` milliseconds. */
export function sqlNowPlusMs(dialect: Dialect, ms: number): RawBuilder<string> {
  return dialect === "postgres"
    ? sql<string>`now() + make_interval(secs => ${ms / 1000})`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${ms >= 0 ? "+" : ""}${ms / 1000} seconds`})`;
}
