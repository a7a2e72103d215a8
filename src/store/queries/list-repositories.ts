// Every registered repository, for the scheduler's start-up.
import { toRepository, type Repository } from "../records.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listRepositories(store: Store): Promise<Repository[]> {
  const rows = await store.db.selectFrom("repositories").selectAll().orderBy("id").execute();
  return rows.map(toRepository);
}
