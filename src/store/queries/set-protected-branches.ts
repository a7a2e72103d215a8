// Sets the branch patterns a repository protects besides its default branch (the environments' `protected` policy).
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/** Safe under concurrency: one UPDATE of the repository's row; the last writer wins. */
export async function setProtectedBranches(
  store: Store,
  input: { repositoryId: number; patterns: string[]; actor: string },
): Promise<void> {
  const patterns = input.patterns.map((p) => p.trim()).filter(Boolean);
  await runInTransaction(store, async (trx) => {
    const row = await trx
      .updateTable("repositories")
      .set({ protected_branches: JSON.stringify(patterns) })
      .where("id", "=", input.repositoryId)
      .returning("id")
      .executeTakeFirst();
    if (!row) throw new StoreError("STORE_NOT_FOUND", `repository ${input.repositoryId} does not exist`);
    await recordEvent(trx, {
      action: "repository:protected-branches-set",
      resourceType: "repository",
      resourceId: input.repositoryId,
      actor: input.actor,
      payload: { repositoryId: input.repositoryId, protectedBranches: patterns },
    });
  });
}
