// An environment's deployment branch policy (GitHub's "Deployment branches and tags"): which refs may deploy.
// `protected` means the repository's default branch plus the branch patterns it lists as protected
// (`hangar env protect`); hangar has no other notion of branch protection.
import { matchesFilter } from "../../workflow/index.js";
import type { Environment } from "../../store/index.js";

export interface RepositoryBranches {
  defaultBranch: string;
  protectedBranches: string[];
}

/** GitHub's message when the ref may not deploy; undefined when it may. */
export function refuseRef(
  environment: Environment,
  ref: string,
  branches: RepositoryBranches,
): string | undefined {
  if (environment.branchPolicy === "all") return undefined;
  const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
  const tag = ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
  const isAllowed =
    environment.branchPolicy === "protected"
      ? branch !== undefined &&
        (branch === branches.defaultBranch ||
          matchesFilter({ include: branches.protectedBranches }, [branch], "ref"))
      : (branch ?? tag) !== undefined &&
        matchesFilter({ include: environment.branchPatterns }, [branch ?? tag!], "ref");
  if (isAllowed) return undefined;
  const what =
    branch !== undefined ? `Branch "${branch}"` : tag !== undefined ? `Tag "${tag}"` : `Ref "${ref}"`;
  return `${what} is not allowed to deploy to ${environment.name} due to environment protection rules.`;
}
