// Creates or replaces a reviewer group (a named list of users an environment can require as one reviewer).
import { sqlNow } from "../clock.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface ReviewerGroup {
  name: string;
  users: string[];
}

/** Safe under concurrency: an upsert on the unique name; the last writer wins. */
export async function saveReviewerGroup(
  store: Store,
  input: ReviewerGroup & { actor: string },
): Promise<ReviewerGroup> {
  if (!/^[\w.-]+$/.test(input.name))
    throw new StoreError("STORE_INVALID_ARGUMENT", `group name '${input.name}' is not valid`);
  const users = [...new Set(input.users.map((user) => user.trim()).filter(Boolean))];
  if (users.length === 0)
    throw new StoreError("STORE_INVALID_ARGUMENT", "users: a group needs at least one user");
  return runInTransaction(store, async (trx) => {
    await trx
      .insertInto("reviewer_groups")
      .values({ name: input.name, users: JSON.stringify(users) })
      .onConflict((conflict) =>
        conflict
          .column("name")
          .doUpdateSet({ users: JSON.stringify(users), updated_at: sqlNow(store.dialect) }),
      )
      .execute();
    await recordEvent(trx, {
      action: "environment:group-saved",
      resourceType: "environment",
      resourceId: `group:${input.name}`,
      actor: input.actor,
      payload: { group: input.name, users },
    });
    return { name: input.name, users };
  });
}
