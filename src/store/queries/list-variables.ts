// Lists a scope's variables with their values (variables are configuration, not secrets, as on GitHub).
import { environmentColumn, environmentOf, type ValueScope, type VariableEntry } from "../secret-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listVariables(store: Store, scope: ValueScope): Promise<VariableEntry[]> {
  const rows = await store.db
    .selectFrom("variables")
    .selectAll()
    .where("repository_id", "=", scope.repositoryId)
    .where("environment", "=", environmentColumn(scope))
    .orderBy("name")
    .execute();
  return rows.map((row) => ({
    name: row.name,
    environment: environmentOf(row.environment),
    value: row.value,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}
