// The Store handle every query takes: one Kysely instance typed with `Database`, its dialect and its wake-up channel.
import type { EventEmitter } from "node:events";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The PostgreSQL connection string, for the listener's dedicated client; undefined on SQLite. */
  readonly url: string | undefined;
  /** SQLite's in-process job wake-ups (notify.ts); shared by every Store open on the same file in this process. */
  readonly jobWakes: EventEmitter;
  close(): Promise<void>;
}
