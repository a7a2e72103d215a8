// Whether a run executes code from a fork's pull request: such a run gets no secrets (GitHub's rule, docs "Using
// secrets in GitHub Actions") and, on isolating executors, no network. pull_request_target runs the base branch's
// workflow in the base repository's context, so it is not restricted.

/** Events whose runs come from the pull request's head, so a fork's code would run. */
const forkRestrictedEvents = new Set(["pull_request", "pull_request_review", "pull_request_review_comment"]);

/** True for a run of a pull request from a fork. */
export function isForkPullRequestRun(event: string, payload: unknown): boolean {
  return forkRestrictedEvents.has(event) && isFromFork(payload);
}

/**
 * Fails closed: only a head repository that is provably the base repository counts as not a fork (a deleted fork
 * has `head.repo: null`; a payload without the fields cannot prove anything).
 */
export function isFromFork(payload: unknown): boolean {
  const pullRequest = field(payload, "pull_request");
  const head = field(field(field(pullRequest, "head"), "repo"), "full_name");
  const base =
    field(field(field(pullRequest, "base"), "repo"), "full_name") ??
    field(field(payload, "repository"), "full_name");
  return typeof head !== "string" || typeof base !== "string" || head.toLowerCase() !== base.toLowerCase();
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
}
