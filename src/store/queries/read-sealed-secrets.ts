// Reads the sealed secrets a job may be given: its repository's and, when it runs in one, its environment's.
import { environmentColumn, environmentOf, type SealedSecret, type ValueScope } from "../secret-record.js";
import type { Store } from "../store.js";

/** Repository-scope rows first, so a caller overlaying them in order lets the environment's win. Single read. */
export async function readSealedSecrets(store: Store, scope: ValueScope): Promise<SealedSecret[]> {
  const environments = [...new Set(["", environmentColumn(scope)])];
  const rows = await store.db
    .selectFrom("secrets")
    .selectAll()
    .where("repository_id", "=", scope.repositoryId)
    .where("environment", "in", environments)
    .orderBy("environment")
    .orderBy("name")
    .execute();
  return rows.map((row) => ({
    repositoryId: row.repository_id,
    name: row.name,
    environment: environmentOf(row.environment),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sealed: { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext, authTag: row.auth_tag },
  }));
}
