// Records that a runner showed a sign of life (a claim or a heartbeat): its `last_seen_at`, by the database's clock.
import { sqlNow } from "../clock.js";
import { hashToken } from "../runner-token.js";
import type { Store } from "../store.js";

/** Safe under concurrency: one update of one row; the later of two racing writes wins, both being "now". */
export async function markRunnerSeen(store: Store, runnerToken: string): Promise<void> {
  await store.db
    .updateTable("runners")
    .set({ last_seen_at: sqlNow(store.dialect) })
    .where("token_hash", "=", hashToken(runnerToken))
    .execute();
}
