// Finds the live API token a bearer token belongs to (the API's authentication) and notes when it was last used.
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import { toApiTokenRecord, type ApiTokenRecord } from "../api-token-record.js";
import type { Store } from "../store.js";
import { hashToken } from "../runner-token.js";

/** last_used_at is coarse on purpose: one write per token per minute, not one per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Undefined when the token is unknown, revoked or expired (the database's clock decides expiry). Safe under
 * concurrency: one read; the last_used_at update is a guarded idempotent write whose loss would only make it coarser.
 */
export async function authenticateApiToken(store: Store, token: string): Promise<ApiTokenRecord | undefined> {
  const now = sqlNow(store.dialect);
  const row = await store.db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", hashToken(token))
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .executeTakeFirst();
  if (!row) return undefined;
  await store.db
    .updateTable("api_tokens")
    .set({ last_used_at: now })
    .where("id", "=", row.id)
    .where((eb) =>
      eb.or([
        eb("last_used_at", "is", null),
        eb("last_used_at", "<", sqlNowPlusMs(store.dialect, -LAST_USED_RESOLUTION_MS)),
      ]),
    )
    .execute();
  return toApiTokenRecord(row);
}
