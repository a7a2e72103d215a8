// Re-seals every stored secret (key rotation) in one transaction, with one `secret:key-rotated` event: either every
// secret moves to the new key or none does.
import type { SealedSecret, SealedValue } from "../secret-record.js";
import { environmentOf } from "../secret-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface ResealSecretsInput {
  /** Opens a secret with its old key and seals it with the new one; throws to abort the whole rotation. */
  reseal(secret: SealedSecret): Promise<SealedValue>;
  /** The new key's id, recorded in the event. */
  keyId: string;
  actor: string;
}

/**
 * Safe under concurrency: the write transaction (SQLite's BEGIN IMMEDIATE; on PostgreSQL the rows are locked FOR
 * UPDATE) keeps a concurrent `secret set` from slipping in between the read and the rewrite. Returns the count.
 */
export async function resealSecrets(store: Store, input: ResealSecretsInput): Promise<number> {
  return runInTransaction(store, async (trx) => {
    let query = trx.selectFrom("secrets").selectAll();
    if (store.dialect === "postgres") query = query.forUpdate();
    const rows = await query.execute();
    for (const row of rows) {
      const sealed = await input.reseal({
        repositoryId: row.repository_id,
        name: row.name,
        environment: environmentOf(row.environment),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        sealed: { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext, authTag: row.auth_tag },
      });
      await trx
        .updateTable("secrets")
        .set({
          key_id: sealed.keyId,
          nonce: sealed.nonce,
          ciphertext: sealed.ciphertext,
          auth_tag: sealed.authTag,
        })
        .where("repository_id", "=", row.repository_id)
        .where("environment", "=", row.environment)
        .where("name", "=", row.name)
        .execute();
    }
    await recordEvent(trx, {
      action: "secret:key-rotated",
      resourceType: "secret",
      resourceId: "key",
      actor: input.actor,
      payload: { keyId: input.keyId, secrets: rows.length },
    });
    return rows.length;
  });
}
