// Reads one repository by its unique name (e.g. `owner/repo` from a webhook).
import type { Store } from "../store.js";
import { toRepository, type Repository } from "../records.js";

/** Safe under concurrency: a single read. */
export async function getRepository(store: Store, name: string): Promise<Repository | undefined> {
  const row = await store.db
    .selectFrom("repositories")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  return row && toRepository(row);
}
