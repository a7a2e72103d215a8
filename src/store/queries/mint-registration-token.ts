// Mints a runner registration token: returned once in clear, stored as a hash with an expiry.
import { sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";
import { createToken, hashToken } from "../runner-token.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/** GitHub docs "Create a registration token for a repository": registration tokens expire after one hour. */
export const defaultRegistrationTokenTtlMs = 60 * 60_000;

/** Safe under concurrency: an insert of a fresh random hash; the unique constraint rejects the impossible collision. */
export async function mintRegistrationToken(
  store: Store,
  options: { ttlMs?: number; actor?: string } = {},
): Promise<{ token: string; expiresAt: string }> {
  const token = createToken("hgr");
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .insertInto("runner_registration_tokens")
      .values({
        token_hash: hashToken(token),
        expires_at: sqlNowPlusMs(store.dialect, options.ttlMs ?? defaultRegistrationTokenTtlMs),
      })
      .returning(["id", "expires_at"])
      .executeTakeFirstOrThrow();
    await recordEvent(trx, {
      action: "runner-token:minted",
      resourceType: "token",
      resourceId: row.id,
      actor: options.actor ?? "hangar",
      payload: { kind: "runner registration", expiresAt: row.expires_at },
    });
    return { token, expiresAt: row.expires_at };
  });
}
