// Migration 3: what the runner queue needs on jobs: the JobRequest a runner claims, and a cancel request flag.
import type { Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function addQueueRequests(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // The job instance as plain data (runner JobRequest); null for jobs run in the server's own process.
  await db.schema.alterTable("jobs").addColumn("request", t.json).execute();
  // Set once by cancelJob; the runner holding the lease learns it at its next heartbeat.
  await db.schema.alterTable("jobs").addColumn("cancel_requested_at", t.timestamp).execute();
}
