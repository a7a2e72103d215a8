// Lists a scope's secrets by name and timestamps: the only view of secrets outside the job that uses them.
import { environmentColumn, environmentOf, type SecretEntry, type ValueScope } from "../secret-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listSecrets(store: Store, scope: ValueScope): Promise<SecretEntry[]> {
  const rows = await store.db
    .selectFrom("secrets")
    .select(["name", "environment", "created_at", "updated_at"])
    .where("repository_id", "=", scope.repositoryId)
    .where("environment", "=", environmentColumn(scope))
    .orderBy("name")
    .execute();
  return rows.map((row) => ({
    name: row.name,
    environment: environmentOf(row.environment),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}
