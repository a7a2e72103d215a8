// Creates or replaces one variable, with its `variable:set` event (name only) in the same transaction.
import { sqlNow } from "../clock.js";
import { environmentColumn, scopedResourceId, type ValueScope } from "../secret-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface PutVariableInput extends ValueScope {
  name: string;
  value: string;
  actor: string;
}

/** Safe under concurrency: an upsert on the (repository, environment, name) key; the last writer wins. */
export async function putVariable(store: Store, input: PutVariableInput): Promise<void> {
  await runInTransaction(store, async (trx) => {
    await trx
      .insertInto("variables")
      .values({
        repository_id: input.repositoryId,
        environment: environmentColumn(input),
        name: input.name,
        value: input.value,
      })
      .onConflict((conflict) =>
        conflict
          .columns(["repository_id", "environment", "name"])
          .doUpdateSet({ value: input.value, updated_at: sqlNow(store.dialect) }),
      )
      .execute();
    await recordEvent(trx, {
      action: "variable:set",
      resourceType: "variable",
      resourceId: scopedResourceId(input, input.name),
      actor: input.actor,
      payload: { repositoryId: input.repositoryId, environment: input.environment ?? null, name: input.name },
    });
  });
}
