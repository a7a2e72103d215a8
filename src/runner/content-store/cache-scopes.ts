// Which scopes a run's cache restores search and which one its saves go to; pure, it never reads a store or a run.

/** What decides a run's cache scopes; the server reads it from the run, its payload and its repository. */
export interface CacheScopeInput {
  repositoryId: number;
  /** The event that triggered the run (`github.event_name`). */
  event: string;
  /** The run's GITHUB_REF: `refs/heads/…`, `refs/tags/…`, or a pull request's `refs/pull/N/merge`. */
  ref: string;
  /** The branch the run's pull request merges into (payload `pull_request.base.ref`), if it has one. */
  baseBranch?: string;
  defaultBranch: string;
}

/** `read` in search order; a run that may only restore gets no `write`, and `refusal` is its save's warning. */
export type CacheScopes =
  { read: string[]; write: string } | { read: string[]; write: undefined; refusal: string };

/**
 * Docs "Dependency caching" (Cache security): runs of low-trust triggers get read-only access to the default
 * branch's scope. Docs "Dependency caching reference" (Cache access for low-trust workflow triggers) names these as
 * the events that may write it.
 */
const defaultBranchWriters = new Set([
  "push",
  "workflow_dispatch",
  "repository_dispatch",
  "delete",
  "registry_package",
  "page_build",
  "schedule",
]);

/**
 * Read-only on every ref, since a fork may choose it: pull_request_target runs on the base branch its pull request
 * names (docs "Events that trigger workflows": its caches share that branch's scope), and hangar gives workflow_run
 * the head branch of the run that triggered it (on GitHub it runs on the default branch, read-only as above).
 */
const readOnlyEvents = new Set(["pull_request_target", "workflow_run"]);

/** Contract: a cache manifest's `scope`. Git refs cannot contain `:`, so each string names one repository and ref. */
function cacheScopeOf(repositoryId: number, ref: string): string {
  return `repository:${repositoryId}:${ref}`;
}

/**
 * Docs "Dependency caching reference", Restrictions for accessing a cache: a run restores caches of its own ref,
 * then of its pull request's base branch, then of the default branch, never a child, sibling or other tag's. A
 * pull request's runs save under its merge ref (`refs/pull/N/merge`), which only that pull request's runs read.
 */
export function resolveCacheScopes(input: CacheScopeInput): CacheScopes {
  const defaultRef = branchRef(input.defaultBranch);
  const baseRefs = input.baseBranch === undefined ? [] : [branchRef(input.baseBranch)];
  const read = [...new Set([input.ref, ...baseRefs, defaultRef])].map((ref) =>
    cacheScopeOf(input.repositoryId, ref),
  );
  const isWriter =
    !readOnlyEvents.has(input.event) && (input.ref !== defaultRef || defaultBranchWriters.has(input.event));
  if (isWriter) return { read, write: read[0]! };
  return {
    read,
    write: undefined,
    refusal: `Cache not saved: a ${input.event} run on ${input.ref} may restore caches but not save them.`,
  };
}

/** Payloads and repository settings name branches bare (`main`); GITHUB_REF is qualified. */
function branchRef(branch: string): string {
  return branch.startsWith("refs/") ? branch : `refs/heads/${branch}`;
}
