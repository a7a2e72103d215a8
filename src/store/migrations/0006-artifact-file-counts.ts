// Migration 6: artifacts record their file count (the server lists artifacts from this table, as GitHub's API does).
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function addArtifactFileCounts(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("artifacts")
    .addColumn("file_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
