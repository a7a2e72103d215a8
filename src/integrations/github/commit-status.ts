// Reports a job's state back to GitHub as a commit status; owns no run state and decides no conclusions.
import { Octokit } from "@octokit/rest";
import { HangarError } from "../../runner/index.js";

/** Contract: codes never change meaning; messages may improve. */
export const commitStatusErrorCodes = {
  GITHUB_STATUS_FAILED: "GitHub refused or did not answer a commit status request",
} as const;

export type CommitStatusErrorCode = keyof typeof commitStatusErrorCodes;

export class CommitStatusError extends HangarError<CommitStatusErrorCode> {
  constructor(
    message: string,
    /** GitHub's HTTP status, when it answered. */
    readonly httpStatus: number | undefined,
    options?: { cause?: unknown },
  ) {
    super("GITHUB_STATUS_FAILED", message, options);
  }
}

export interface GitHubConnection {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl: string;
  token: string;
}

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

export function createCommitStatusReporter(connection: GitHubConnection): ReportCommitStatus {
  const octokit = new Octokit({
    baseUrl: connection.baseUrl.replace(/\/+$/, ""),
    auth: connection.token,
    userAgent: "hangar",
    // Failures reach the caller as CommitStatusError; octokit's own request log would print each one twice.
    log: { debug: ignoreLog, info: ignoreLog, warn: console.warn, error: ignoreLog },
  });
  return async (status) => {
    const context = commitStatusContext(status.workflow, status.job);
    try {
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
    } catch (error) {
      const httpStatus = readHttpStatus(error);
      throw new CommitStatusError(
        `status '${context}' for ${status.owner}/${status.repo}@${status.sha} was not recorded` +
          (httpStatus === undefined ? "" : ` (GitHub answered ${httpStatus})`),
        httpStatus,
        { cause: error },
      );
    }
  };
}

/** One status per job, so GitHub's branch protection can require each job by name. */
export function commitStatusContext(workflow: string, job: string): string {
  return `hangar/${workflow}/${job}`;
}

function ignoreLog(): void {}

function truncate(text: string | undefined, length: number): string | undefined {
  if (text === undefined || text.length <= length) return text;
  return `${text.slice(0, length - 1)}…`;
}

function readHttpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
