// Reads a repository's deployments, newest first, optionally of one environment.
import { sql } from "kysely";
import { toDeployment, type Deployment } from "../environment-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listDeployments(
  store: Store,
  filter: { repositoryId: number; environment?: string; limit?: number },
): Promise<Deployment[]> {
  let query = store.db.selectFrom("deployments").selectAll().where("repository_id", "=", filter.repositoryId);
  if (filter.environment !== undefined)
    query = query.where(sql`lower(environment)`, "=", filter.environment.toLowerCase());
  const rows = await query
    .orderBy("id", "desc")
    .limit(filter.limit ?? 100)
    .execute();
  return rows.map(toDeployment);
}
