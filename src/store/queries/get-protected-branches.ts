// Reads the branch patterns a repository protects besides its default branch.
import type { Store } from "../store.js";

/** Safe under concurrency: a single read; an unknown repository protects nothing. */
export async function getProtectedBranches(store: Store, repositoryId: number): Promise<string[]> {
  const row = await store.db
    .selectFrom("repositories")
    .select("protected_branches")
    .where("id", "=", repositoryId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.protected_branches) as string[]) : [];
}
