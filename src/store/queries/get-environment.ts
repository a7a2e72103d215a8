// Reads one environment of a repository by name (case-insensitive, as on GitHub).
import { sql } from "kysely";
import { toEnvironment, type Environment } from "../environment-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function getEnvironment(
  store: Store,
  repositoryId: number,
  name: string,
): Promise<Environment | undefined> {
  const row = await store.db
    .selectFrom("environments")
    .selectAll()
    .where("repository_id", "=", repositoryId)
    .where(sql`lower(name)`, "=", name.trim().toLowerCase())
    .executeTakeFirst();
  return row && toEnvironment(row);
}
