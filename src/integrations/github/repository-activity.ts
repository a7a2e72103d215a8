// A repository's recent pushes and pull request changes, read through GitHub's REST API ("List repository events")
// and shaped as the webhook payloads GitHub delivers for them, so the server can find and take deliveries it missed.
import { callGitHub } from "./github-error.js";
import type { GitHubClient } from "./github-client.js";

/** One push or pull request change, as its webhook would have delivered it. */
export interface RepositoryActivity {
  /** GitHub's event id: the same activity always has the same one. */
  id: string;
  event: "push" | "pull_request";
  createdAt: string;
  payload: Record<string, unknown>;
}

// Docs "List repository events": at most 100 per page and the last 300 events.
const perPage = 100;
const maxPages = 3;

/** Newest first, back to `since` (or as far as GitHub keeps). Other kinds of events are left out. */
export async function listRepositoryActivity(
  client: GitHubClient,
  fullName: string,
  since: Date,
): Promise<RepositoryActivity[]> {
  const [owner = "", repo = ""] = fullName.split("/");
  const octokit = await client.forRepository(owner, repo);
  const activity: RepositoryActivity[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const events = await callGitHub(
      "GITHUB_EVENTS_FAILED",
      `cannot read the recent events of ${fullName}`,
      async () => (await octokit.rest.activity.listRepoEvents({ owner, repo, per_page: perPage, page })).data,
    );
    for (const event of events) {
      if (event.created_at && Date.parse(event.created_at) < since.getTime()) return activity;
      const shaped = toActivity(event, { full_name: fullName, name: repo, owner: { login: owner } });
      if (shaped) activity.push(shaped);
    }
    if (events.length < perPage) break;
  }
  return activity;
}

interface GitHubEvent {
  id: string;
  type: string | null;
  actor: { login: string };
  payload: Record<string, unknown>;
  created_at: string | null;
}

/**
 * Docs "GitHub event types": a PushEvent's payload has `ref`, `before` and `head`; a PullRequestEvent's `action`,
 * `number` and `pull_request`, as their webhooks do. The rest of a webhook payload (the commits, the full repository)
 * is not in the event; planning needs none of it.
 */
function toActivity(event: GitHubEvent, repository: Record<string, unknown>): RepositoryActivity | undefined {
  const common = { repository, sender: { login: event.actor.login } };
  const createdAt = event.created_at ?? new Date(0).toISOString();
  if (event.type === "PushEvent") {
    const { ref, before, head } = event.payload;
    if (typeof ref !== "string" || typeof head !== "string") return undefined;
    const payload = { ref, before, after: head, ...common };
    return { id: event.id, event: "push", createdAt, payload };
  }
  if (event.type === "PullRequestEvent") {
    const { action, number, pull_request: pullRequest } = event.payload;
    if (typeof action !== "string" || typeof pullRequest !== "object" || pullRequest === null)
      return undefined;
    const payload = { action, number, pull_request: pullRequest, ...common };
    return { id: event.id, event: "pull_request", createdAt, payload };
  }
  return undefined;
}
