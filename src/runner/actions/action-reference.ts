// Parsing `uses: owner/repo[/path]@ref` into its parts; pure, no file access.
import { ActionStoreError } from "./action-store-error.js";

export interface ActionReference {
  owner: string;
  repo: string;
  /** A sub-directory of the repository holding the action, without leading or trailing slashes. */
  path?: string;
  ref: string;
}

/** GitHub's rules for names: owners are letters, digits and hyphens; repositories add `.` and `_`. */
const ownerPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const repoPattern = /^[A-Za-z0-9._-]+$/;
const fullShaPattern = /^[0-9a-fA-F]{40}$/;

/** Docs: "jobs.<job_id>.steps[*].uses" — `{owner}/{repo}@{ref}` or `{owner}/{repo}/{path}@{ref}`. */
export function parseActionReference(uses: string): ActionReference {
  const fail = (why: string) =>
    new ActionStoreError(
      "ACTION_REF_MALFORMED",
      `Expected format {owner}/{repo}[/path]@{ref}. Actual '${uses}': ${why}.`,
    );
  const at = uses.lastIndexOf("@");
  if (at === -1) throw fail("there is no @ref");
  const name = uses.slice(0, at);
  const ref = uses.slice(at + 1);
  const [owner = "", repo = "", ...pathParts] = name.split("/");
  if (!ownerPattern.test(owner)) throw fail(`'${owner}' is not a valid owner`);
  if (!repoPattern.test(repo) || repo === "." || repo === "..")
    throw fail(`'${repo}' is not a valid repository name`);
  if (pathParts.some((part) => part === "" || part === "." || part === "..")) {
    throw fail("the path inside the repository has an empty, '.' or '..' segment");
  }
  const problem = findRefProblem(ref);
  if (problem) throw fail(problem);
  return pathParts.length > 0 ? { owner, repo, path: pathParts.join("/"), ref } : { owner, repo, ref };
}

export function formatActionReference(reference: ActionReference): string {
  const path = reference.path === undefined ? "" : `/${reference.path}`;
  return `${reference.owner}/${reference.repo}${path}@${reference.ref}`;
}

/** GitHub's "pinned to a full-length commit SHA" (docs: "Security hardening: using third-party actions"). */
export function isFullSha(ref: string): boolean {
  return fullShaPattern.test(ref);
}

/**
 * The subset of `git check-ref-format` a ref in `uses:` can break; checked here rather than by
 * running git because a reference is parsed on every step, with no repository at hand.
 */
function findRefProblem(ref: string): string | undefined {
  if (ref === "") return "the ref after @ is empty";
  const hasControlCharacter = [...ref].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (hasControlCharacter || /[\s~^:?*[\\]/.test(ref)) {
    return `the ref '${ref}' contains a character git does not allow`;
  }
  const parts = ref.split("/");
  if (parts.some((part) => part === "" || part.startsWith(".") || part.endsWith(".lock"))) {
    return `the ref '${ref}' has an empty component, one starting with '.', or one ending with '.lock'`;
  }
  if (ref.includes("..") || ref.includes("@{") || ref.endsWith(".")) {
    return `the ref '${ref}' is not a valid git ref`;
  }
  return undefined;
}
