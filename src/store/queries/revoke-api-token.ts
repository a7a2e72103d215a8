// Revokes an API token and records `token:revoked`; a revoked token never authenticates again.
import { sqlNow } from "../clock.js";
import { toApiTokenRecord, type ApiTokenRecord } from "../api-token-record.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/**
 * Safe under concurrency: a compare-and-set on revoked_at is null, so of two racing revocations one records the
 * event. Returns the revoked token, or undefined when it was already revoked; throws STORE_NOT_FOUND for an unknown id.
 */
export async function revokeApiToken(
  store: Store,
  input: { id: number; actor: string },
): Promise<ApiTokenRecord | undefined> {
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .updateTable("api_tokens")
      .set({ revoked_at: sqlNow(store.dialect) })
      .where("id", "=", input.id)
      .where("revoked_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const exists = await trx
        .selectFrom("api_tokens")
        .select("id")
        .where("id", "=", input.id)
        .executeTakeFirst();
      if (!exists) throw new StoreError("STORE_NOT_FOUND", `no API token with id ${input.id}`);
      return undefined;
    }
    const record = toApiTokenRecord(row);
    await recordEvent(trx, {
      action: "token:revoked",
      resourceType: "token",
      resourceId: record.id,
      actor: input.actor,
      payload: { tokenId: record.id, user: record.user, role: record.role },
    });
    return record;
  });
}
