// Reads one artifact row by id.
import { toArtifactRecord, type ArtifactRecord } from "../artifact-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function getArtifact(store: Store, artifactId: number): Promise<ArtifactRecord | undefined> {
  const row = await store.db
    .selectFrom("artifacts")
    .selectAll()
    .where("id", "=", artifactId)
    .executeTakeFirst();
  return row && toArtifactRecord(row);
}
