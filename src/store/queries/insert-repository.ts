// Registers a repository hangar runs workflows for.
import type { Store } from "../store.js";

export interface NewRepositoryInput {
  name: string;
  gitUrl: string;
  /** Stored as given for now; encrypting it at rest is a later issue. */
  webhookSecret?: string | null;
  defaultBranch?: string;
}

export interface Repository {
  id: number;
  name: string;
  gitUrl: string;
  webhookSecret: string | null;
  defaultBranch: string;
  createdAt: string;
}

/** Safe under concurrency: the unique name constraint rejects a second insert of the same repository. */
export async function insertRepository(store: Store, input: NewRepositoryInput): Promise<Repository> {
  const row = await store.db
    .insertInto("repositories")
    .values({
      name: input.name,
      git_url: input.gitUrl,
      webhook_secret: input.webhookSecret ?? null,
      default_branch: input.defaultBranch ?? "main",
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    name: row.name,
    gitUrl: row.git_url,
    webhookSecret: row.webhook_secret,
    defaultBranch: row.default_branch,
    createdAt: row.created_at,
  };
}
