// Reads a repository's environments, by name.
import { toEnvironment, type Environment } from "../environment-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listEnvironments(store: Store, repositoryId: number): Promise<Environment[]> {
  const rows = await store.db
    .selectFrom("environments")
    .selectAll()
    .where("repository_id", "=", repositoryId)
    .orderBy("name")
    .execute();
  return rows.map(toEnvironment);
}
