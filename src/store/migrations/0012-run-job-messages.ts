// Migration 12: why a run or a job ended as it did (the first failure's message), readable on the row itself: a run
// that failed before any job, and a job that never reached a runner (a called workflow, an `if:` that failed), have
// no other place a user could read it.
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function addRunJobMessages(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("runs").addColumn("message", "text").execute();
  await db.schema.alterTable("jobs").addColumn("message", "text").execute();
}
