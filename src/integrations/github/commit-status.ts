// Reports a job's state back to GitHub as a commit status; owns no run state and decides no conclusions.
import type { GitHubClient } from "./github-client.js";
import { callGitHub } from "./github-error.js";

/** REST API "Create a commit status": the four states GitHub accepts. */
export type CommitState = "pending" | "success" | "failure" | "error";

export interface CommitStatus {
  owner: string;
  repo: string;
  sha: string;
  state: CommitState;
  workflow: string;
  job: string;
  description?: string;
  targetUrl?: string;
}

// REST API "Create a commit status": GitHub answers 422 to a description longer than 140 characters.
const maxDescriptionLength = 140;

export type ReportCommitStatus = (status: CommitStatus) => Promise<{ id: number }>;

export function createCommitStatusReporter(client: GitHubClient): ReportCommitStatus {
  return async (status) => {
    const context = commitStatusContext(status.workflow, status.job);
    return callGitHub(
      "GITHUB_STATUS_FAILED",
      `status '${context}' for ${status.owner}/${status.repo}@${status.sha} was not recorded`,
      async () => {
        const octokit = await client.forRepository(status.owner, status.repo);
        const response = await octokit.rest.repos.createCommitStatus({
          owner: status.owner,
          repo: status.repo,
          sha: status.sha,
          state: status.state,
          context,
          description: truncate(status.description, maxDescriptionLength),
          target_url: status.targetUrl,
        });
        return { id: response.data.id };
      },
    );
  };
}

/**
 * One status (or check run) per job, so GitHub's branch protection can require each job by name; check runs use
 * the same name so that switching reporting modes keeps the required checks satisfied.
 */
export function commitStatusContext(workflow: string, job: string): string {
  return `hangar/${workflow}/${job}`;
}

export function truncate(text: string | undefined, length: number): string | undefined {
  if (text === undefined || text.length <= length) return text;
  return `${text.slice(0, length - 1)}…`;
}
