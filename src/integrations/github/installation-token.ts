// Creates and revokes the installation access tokens that are jobs' GITHUB_TOKENs: one repository, the job's
// permissions (docs "Generating an installation access token for a GitHub App"). Which job gets one, and when it is
// revoked, is the server's business.
import { Octokit } from "@octokit/rest";
import { callGitHub, GitHubError, httpStatusOf } from "./github-error.js";
import {
  jobTokenPermissions,
  type JobTokenPermissionsInput,
  type TokenPermissions,
} from "./job-token-permissions.js";

export interface IssuedToken {
  token: string;
  /** GitHub's expiry (an hour after creation); a job running longer loses the token's use. */
  expiresAt: string;
  permissions: TokenPermissions;
}

export interface JobTokenIssuer {
  /** A token for `owner/repo` alone; fails with a GitHubError saying why, never with a token broader than asked. */
  issue(owner: string, repo: string, wanted: Omit<JobTokenPermissionsInput, "granted">): Promise<IssuedToken>;
  /** DELETE /installation/token, authenticated with the token itself; an already expired token counts as revoked. */
  revoke(token: string): Promise<void>;
}

export function createJobTokenIssuer(
  app: Octokit,
  appId: string,
  octokitOptions: ConstructorParameters<typeof Octokit>[0],
): JobTokenIssuer {
  return {
    async issue(owner, repo, wanted) {
      // Looked up for each job, not cached: the installation's permissions change when its owner accepts new ones.
      const installation = await callGitHub(
        "GITHUB_APP_NOT_INSTALLED",
        `GitHub App ${appId} has no installation on ${owner}/${repo} that it may use`,
        () => retryOnceOnServerError(() => app.rest.apps.getRepoInstallation({ owner, repo })),
      );
      const { permissions, ungranted } = jobTokenPermissions({
        ...wanted,
        granted: installation.data.permissions as Record<string, string | undefined>,
      });
      if (ungranted.length > 0) {
        throw new GitHubError(
          "GITHUB_JOB_TOKEN_NOT_GRANTED",
          `the job's permissions ask for ${ungranted.join(", ")}, which GitHub App ${appId} was not granted on ` +
            `${owner}/${repo}: grant the App those permissions or lower the workflow's`,
          undefined,
        );
      }
      const created = await callGitHub(
        "GITHUB_JOB_TOKEN_FAILED",
        `GitHub did not create an installation token for ${owner}/${repo}`,
        () =>
          retryOnceOnServerError(() =>
            app.rest.apps.createInstallationAccessToken({
              installation_id: installation.data.id,
              repositories: [repo],
              permissions,
            }),
          ),
      );
      return { token: created.data.token, expiresAt: created.data.expires_at, permissions };
    },
    async revoke(token) {
      const asToken = new Octokit({ ...octokitOptions, auth: token });
      await callGitHub("GITHUB_JOB_TOKEN_FAILED", "GitHub did not revoke a job's token", async () => {
        try {
          await retryOnceOnServerError(() => asToken.rest.apps.revokeInstallationAccessToken());
        } catch (error) {
          if (httpStatusOf(error) !== 401) throw error;
        }
      });
    },
  };
}

/** A 5xx is retried once (octokit's retry plugin would add a dependency and its own backoff policy for one retry). */
async function retryOnceOnServerError<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if ((httpStatusOf(error) ?? 0) < 500) throw error;
    return call();
  }
}
