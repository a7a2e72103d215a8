// GITHUB_SHA and GITHUB_REF for each event, per docs "Events that trigger workflows" (each event's table).

export interface EventRef {
  sha: string;
  ref: string;
}

type Payload = Record<string, unknown>;

function field(payload: Payload, ...path: string[]): string | undefined {
  let current: unknown = payload;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Payload)[key];
  }
  return typeof current === "string" || typeof current === "number" ? String(current) : undefined;
}

/** Events not listed run on the default branch's latest commit, which is `fallback` (read from git locally). */
const refRules: Record<string, (payload: Payload) => Partial<EventRef>> = {
  push: (p) => ({ ref: field(p, "ref"), sha: field(p, "after") }),
  create: (p) => ({ ref: qualify(field(p, "ref_type"), field(p, "ref")) }),
  pull_request: (p) => ({
    ref: field(p, "pull_request", "number")
      ? `refs/pull/${field(p, "pull_request", "number")}/merge`
      : undefined,
    sha: field(p, "pull_request", "merge_commit_sha") ?? field(p, "pull_request", "head", "sha"),
  }),
  pull_request_review: (p) => refRules["pull_request"]!(p),
  pull_request_review_comment: (p) => refRules["pull_request"]!(p),
  pull_request_target: (p) => ({ ref: qualify("branch", field(p, "pull_request", "base", "ref")) }),
  release: (p) => ({ ref: qualify("tag", field(p, "release", "tag_name")) }),
  workflow_dispatch: (p) => ({ ref: field(p, "ref") }),
  workflow_run: (p) => ({
    ref: qualify("branch", field(p, "workflow_run", "head_branch")),
    sha: field(p, "workflow_run", "head_sha"),
  }),
  merge_group: (p) => ({
    ref: field(p, "merge_group", "head_ref"),
    sha: field(p, "merge_group", "head_sha"),
  }),
};

function qualify(kind: string | undefined, name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (name.startsWith("refs/")) return name;
  return kind === "tag" ? `refs/tags/${name}` : `refs/heads/${name}`;
}

export function refForEvent(eventName: string, payload: Payload, fallback: EventRef): EventRef {
  const found = refRules[eventName]?.(payload) ?? {};
  return { sha: found.sha ?? fallback.sha, ref: found.ref ?? fallback.ref };
}
