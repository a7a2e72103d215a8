// Failures of hangar's calls to GitHub's REST API, one code per kind of call; decides nothing about runs.
import { HangarError } from "../../runner/index.js";

/** Contract: codes never change meaning; messages may improve. */
export const gitHubErrorCodes = {
  GITHUB_STATUS_FAILED: "GitHub refused or did not answer a commit status request",
  GITHUB_CHECK_RUN_FAILED: "GitHub refused or did not answer a check run request",
  GITHUB_COMMENT_FAILED: "GitHub refused or did not answer a pull request comment request",
  GITHUB_APP_NOT_INSTALLED:
    "the GitHub App has no installation on the repository, or GitHub refused the App's key",
  GITHUB_JOB_TOKEN_FAILED: "GitHub refused or did not answer a request to create or revoke a job's token",
  GITHUB_JOB_TOKEN_NOT_GRANTED:
    "a job's permissions ask for more than the GitHub App's installation on the repository was granted",
  GITHUB_EVENTS_FAILED: "GitHub refused or did not answer a request for a repository's recent events",
} as const;

export type GitHubErrorCode = keyof typeof gitHubErrorCodes;

export class GitHubError extends HangarError<GitHubErrorCode> {
  constructor(
    code: GitHubErrorCode,
    message: string,
    /** GitHub's HTTP status, when it answered. */
    readonly httpStatus: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Runs one REST call; a failure becomes a GitHubError with `code`, saying what was not done and GitHub's answer. */
export async function callGitHub<T>(code: GitHubErrorCode, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GitHubError) throw error;
    const httpStatus = httpStatusOf(error);
    const answer = httpStatus === undefined ? String(error) : `GitHub answered ${httpStatus}`;
    throw new GitHubError(code, `${what} (${answer})`, httpStatus, { cause: error });
  }
}

/** The HTTP status octokit's RequestError carries; undefined when GitHub did not answer. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
