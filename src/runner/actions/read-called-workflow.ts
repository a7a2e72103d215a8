// Where a called workflow (`jobs.<id>.uses`) comes from, for `hangar run` and `hangar serve` alike: `./…` from the
// caller's own repository through the caller's reader, `owner/repo/path@ref` from the action store, fetched on first use where the policy allows.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SourceFile } from "../../workflow/index.js";
import { parseActionReference } from "./action-reference.js";
import { resolveAction, type ActionPolicy } from "./action-store.js";

export interface CalledWorkflowSources {
  /** A file of the caller's repository at the run's commit, by its path from the root (`.github/workflows/x.yml`). */
  readOwn(repositoryPath: string): Promise<SourceFile>;
  dataDir: string;
  policy: ActionPolicy;
}

export async function readCalledWorkflow(uses: string, sources: CalledWorkflowSources): Promise<SourceFile> {
  try {
    if (uses.startsWith("./")) {
      const own = path.posix.normalize(uses.slice(2));
      if (own === ".." || own.startsWith("../") || path.posix.isAbsolute(own))
        throw new Error("it is outside the repository");
      // Docs "Reusing workflows → Creating a reusable workflow": they are stored in .github/workflows, not below it.
      if (path.posix.dirname(own) !== ".github/workflows")
        throw new Error("a reusable workflow must be a file of .github/workflows, as on GitHub");
      return await sources.readOwn(own);
    }
    const reference = parseActionReference(uses);
    const { dir } = await resolveAction(sources.dataDir, reference, sources.policy);
    // Named as written: the store's directory means nothing to the workflow's author.
    return { path: uses, content: await readFile(dir, "utf8") };
  } catch (error) {
    throw new Error(`cannot read reusable workflow '${uses}': ${(error as Error).message}`, { cause: error });
  }
}
