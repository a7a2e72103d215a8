// The column types and defaults that differ between dialects, for migrations (the only place DDL branches).
import { sql, type ColumnDataType, type RawBuilder } from "kysely";
import type { Dialect } from "../store.js";

export interface ColumnTypes {
  /** An identity primary key's type; ids never get reused (audit rows cite them). */
  id: ColumnDataType;
  /** A column referencing an id. */
  ref: ColumnDataType;
  timestamp: ColumnDataType;
  json: ColumnDataType;
  /** The current time in the stored timestamp format, as a column default. */
  now: RawBuilder<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === "postgres"
    ? { id: "bigint", ref: "bigint", timestamp: "timestamptz", json: "jsonb", now: sql`now()` }
    : {
        id: "integer",
        ref: "integer",
        timestamp: "text",
        json: "text",
        now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      };
}
