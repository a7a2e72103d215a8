// Registers a repository hangar runs workflows for.
import { toRepository, type Repository } from "../records.js";
import type { Store } from "../store.js";

export type { Repository };

export interface NewRepositoryInput {
  name: string;
  gitUrl: string;
  /** Stored as given for now; encrypting it at rest is a later issue. */
  webhookSecret?: string | null;
  defaultBranch?: string;
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
  return toRepository(row);
}
