// Mints a runner registration token: returned once in clear, stored as a hash with an expiry.
import { sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";
import { createToken, hashToken } from "../runner-token.js";

/** GitHub docs "Create a registration token for a repository": registration tokens expire after one hour. */
export const defaultRegistrationTokenTtlMs = 60 * 60_000;

/** Safe under concurrency: an insert of a fresh random hash; the unique constraint rejects the impossible collision. */
export async function mintRegistrationToken(
  store: Store,
  options: { ttlMs?: number } = {},
): Promise<{ token: string; expiresAt: string }> {
  const token = createToken("hgr");
  const row = await store.db
    .insertInto("runner_registration_tokens")
    .values({
      token_hash: hashToken(token),
      expires_at: sqlNowPlusMs(store.dialect, options.ttlMs ?? defaultRegistrationTokenTtlMs),
    })
    .returning("expires_at")
    .executeTakeFirstOrThrow();
  return { token, expiresAt: row.expires_at };
}
