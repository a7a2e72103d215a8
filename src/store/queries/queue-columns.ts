// The jobs columns migration 3 added (request, cancel_requested_at), typed for the queue's queries.
// Kept apart so schema.ts stays untouched while the runner protocol lands; fold into JobsTable when it does.
import type { ColumnType, Kysely } from "kysely";
import type { Database } from "../schema.js";

// A type alias, not an interface: withTables needs an index-signature-compatible shape.
export type QueueColumns = {
  jobs: {
    /** The runner JobRequest as JSON text; null for jobs that never went through the queue. */
    request: string | null;
    /** Set with the database's clock by cancelJob only. */
    cancel_requested_at: ColumnType<string | null, never, string | null>;
  };
};

export function withQueueColumns(db: Kysely<Database>): Kysely<Database & QueueColumns> {
  return db.withTables<QueueColumns>() as Kysely<Database & QueueColumns>;
}
