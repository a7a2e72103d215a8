// Reads one repository by its unique name (e.g. `owner/repo` from a webhook).
import type { Store } from "../store.js";
import type { Repository } from "./insert-repository.js";

/** Safe under concurrency: a single read. */
export async function getRepository(store: Store, name: string): Promise<Repository | undefined> {
  const row = await store.db
    .selectFrom("repositories")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      name: row.name,
      gitUrl: row.git_url,
      webhookSecret: row.webhook_secret,
      defaultBranch: row.default_branch,
      createdAt: row.created_at,
    }
  );
}
