// Lists a run's artifacts by name, expired ones included (their expiresAt says so).
import { toArtifactRecord, type ArtifactRecord } from "../artifact-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listArtifacts(store: Store, runId: number): Promise<ArtifactRecord[]> {
  const rows = await store.db
    .selectFrom("artifacts")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("name")
    .execute();
  return rows.map(toArtifactRecord);
}
