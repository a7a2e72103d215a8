// Keeps one comment on a pull request up to date, found again by a hidden marker; knows nothing of runs.
import type { GitHubClient } from "./github-client.js";
import { callGitHub } from "./github-error.js";

export interface MarkedComment {
  owner: string;
  repo: string;
  /** The pull request's number: its comments are issue comments (REST "Create an issue comment"). */
  issueNumber: number;
  /** Identifies the comment among the others; written into the body as an HTML comment nobody sees. */
  marker: string;
  body: string;
}

export type UpsertComment = (comment: MarkedComment) => Promise<{ id: number; created: boolean }>;

export function createCommentUpserter(client: GitHubClient): UpsertComment {
  return (comment) => {
    const markerLine = hiddenMarker(comment.marker);
    const where = `${comment.owner}/${comment.repo}#${comment.issueNumber}`;
    return callGitHub("GITHUB_COMMENT_FAILED", `the comment on ${where} was not written`, async () => {
      const octokit = await client.forRepository(comment.owner, comment.repo);
      const target = { owner: comment.owner, repo: comment.repo };
      const body = `${markerLine}\n${comment.body}`;
      const existing = await octokit.paginate(octokit.rest.issues.listComments, {
        ...target,
        issue_number: comment.issueNumber,
        per_page: 100,
      });
      const found = existing.find((c) => c.body?.startsWith(markerLine));
      if (found) {
        await octokit.rest.issues.updateComment({ ...target, comment_id: found.id, body });
        return { id: found.id, created: false };
      }
      const created = await octokit.rest.issues.createComment({
        ...target,
        issue_number: comment.issueNumber,
        body,
      });
      return { id: created.data.id, created: true };
    });
  };
}

function hiddenMarker(marker: string): string {
  // "--" would end the HTML comment early and show the rest of the marker.
  return `<!-- ${marker.replaceAll("--", "- -")} -->`;
}
