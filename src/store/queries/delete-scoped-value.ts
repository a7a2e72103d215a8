// Deletes one secret or variable, with its `secret:deleted` / `variable:deleted` event in the same transaction.
import { environmentColumn, scopedResourceId, type ValueScope } from "../secret-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface DeleteScopedValueInput extends ValueScope {
  kind: "secret" | "variable";
  name: string;
  actor: string;
}

const tables = { secret: "secrets", variable: "variables" } as const;

/** False when there was none (and no event). Safe under concurrency: one delete by primary key. */
export async function deleteScopedValue(store: Store, input: DeleteScopedValueInput): Promise<boolean> {
  return runInTransaction(store, async (trx) => {
    const deleted = await trx
      .deleteFrom(tables[input.kind])
      .where("repository_id", "=", input.repositoryId)
      .where("environment", "=", environmentColumn(input))
      .where("name", "=", input.name)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) return false;
    await recordEvent(trx, {
      action: `${input.kind}:deleted`,
      resourceType: input.kind,
      resourceId: scopedResourceId(input, input.name),
      actor: input.actor,
      payload: { repositoryId: input.repositoryId, environment: input.environment ?? null, name: input.name },
    });
    return true;
  });
}
