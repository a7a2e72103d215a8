// Exchanges an unused, unexpired registration token for a new runner and its runner token (returned once).
import { sqlNow } from "../clock.js";
import { normalizeLabels } from "../labels.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { toRunnerRecord, type RunnerRecord } from "./find-runner-by-token.js";
import { recordEvent } from "./record-event.js";
import { createToken, hashToken } from "../runner-token.js";

export interface RegisterRunnerInput {
  registrationToken: string;
  name: string;
  labels: readonly string[];
  isEphemeral?: boolean;
}

/**
 * Safe under concurrency: the token is spent by a compare-and-set (used_at is null, not expired) in the same
 * transaction as the runner insert, so two registrations racing with one token get one runner. Undefined when the
 * token is unknown, used or expired.
 */
export async function registerRunner(
  store: Store,
  input: RegisterRunnerInput,
): Promise<{ runner: RunnerRecord; runnerToken: string } | undefined> {
  const runnerToken = createToken("hgt");
  return runInTransaction(store, async (trx) => {
    const now = sqlNow(store.dialect);
    const spent = await trx
      .updateTable("runner_registration_tokens")
      .set({ used_at: now })
      .where("token_hash", "=", hashToken(input.registrationToken))
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .returning("id")
      .executeTakeFirst();
    if (!spent) return undefined;
    const row = await trx
      .insertInto("runners")
      .values({
        name: input.name,
        labels: JSON.stringify(normalizeLabels(input.labels)),
        token_hash: hashToken(runnerToken),
        ephemeral: input.isEphemeral ? 1 : 0,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const runner = toRunnerRecord(row);
    await recordEvent(trx, {
      action: "runner:registered",
      resourceType: "runner",
      resourceId: runner.id,
      actor: runner.name,
      payload: {
        runnerId: runner.id,
        name: runner.name,
        labels: runner.labels,
        ephemeral: runner.isEphemeral,
      },
    });
    return { runner, runnerToken };
  });
}
