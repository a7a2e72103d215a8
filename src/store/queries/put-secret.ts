// Creates or replaces one sealed secret, with its `secret:set` event (names only) in the same transaction.
import { sqlNow } from "../clock.js";
import { environmentColumn, scopedResourceId, type SealedValue, type ValueScope } from "../secret-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface PutSecretInput extends ValueScope {
  name: string;
  sealed: SealedValue;
  actor: string;
}

/** Safe under concurrency: an upsert on the (repository, environment, name) key; the last writer wins. */
export async function putSecret(store: Store, input: PutSecretInput): Promise<void> {
  await runInTransaction(store, async (trx) => {
    const sealed = {
      key_id: input.sealed.keyId,
      nonce: input.sealed.nonce,
      ciphertext: input.sealed.ciphertext,
      auth_tag: input.sealed.authTag,
    };
    await trx
      .insertInto("secrets")
      .values({
        repository_id: input.repositoryId,
        environment: environmentColumn(input),
        name: input.name,
        ...sealed,
      })
      .onConflict((conflict) =>
        conflict
          .columns(["repository_id", "environment", "name"])
          .doUpdateSet({ ...sealed, updated_at: sqlNow(store.dialect) }),
      )
      .execute();
    await recordEvent(trx, {
      action: "secret:set",
      resourceType: "secret",
      resourceId: scopedResourceId(input, input.name),
      actor: input.actor,
      payload: { repositoryId: input.repositoryId, environment: input.environment ?? null, name: input.name },
    });
  });
}
