// Lists repositories for the API, keyset-paginated by id, without their webhook secrets.
import type { Store } from "../store.js";

export interface RepositorySummary {
  id: number;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  /** Whether webhooks for it are verified; the secret itself never leaves the store through here. */
  hasWebhookSecret: boolean;
  createdAt: string;
}

/** Safe under concurrency: a single read ordered by id, so pages neither repeat nor skip. */
export async function listRepositorySummaries(
  store: Store,
  page: { cursor?: number; limit?: number } = {},
): Promise<{ repositories: RepositorySummary[]; nextCursor?: number }> {
  const limit = Math.min(100, Math.max(1, page.limit ?? 25));
  let query = store.db
    .selectFrom("repositories")
    .select(["id", "name", "git_url", "default_branch", "created_at"])
    .select((eb) => eb("webhook_secret", "is not", null).as("has_secret"));
  if (page.cursor !== undefined) query = query.where("id", "<", page.cursor);
  const rows = await query
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const repositories = rows.slice(0, limit).map((row) => ({
    id: row.id,
    name: row.name,
    gitUrl: row.git_url,
    defaultBranch: row.default_branch,
    hasWebhookSecret: Boolean(row.has_secret),
    createdAt: row.created_at,
  }));
  return rows.length > limit
    ? { repositories, nextCursor: repositories[repositories.length - 1]!.id }
    : { repositories };
}
