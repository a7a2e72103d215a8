// Reads one repository by its row id (a run's or a delivery's repository).
import type { Store } from "../store.js";
import { toRepository, type Repository } from "../records.js";

/** Safe under concurrency: a single read by primary key. */
export async function getRepositoryById(store: Store, id: number): Promise<Repository | undefined> {
  const row = await store.db.selectFrom("repositories").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toRepository(row);
}
