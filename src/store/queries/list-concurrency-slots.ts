// Reads concurrency groups by repository and key, for waiters checking whether they run, wait or were replaced.
import { toConcurrencySlot, type ConcurrencySlot } from "../concurrency-slot.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read; a group absent from the answer has no holder. */
export async function listConcurrencySlots(
  store: Store,
  groups: readonly { repositoryId: number; groupKey: string }[],
): Promise<ConcurrencySlot[]> {
  if (groups.length === 0) return [];
  const rows = await store.db
    .selectFrom("concurrency_slots")
    .selectAll()
    .where((eb) =>
      eb.or(
        groups.map((group) =>
          eb.and([eb("repository_id", "=", group.repositoryId), eb("group_key", "=", group.groupKey)]),
        ),
      ),
    )
    .execute();
  return rows.map(toConcurrencySlot);
}
