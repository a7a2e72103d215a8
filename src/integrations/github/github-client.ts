// Authenticates hangar to GitHub's REST API with a token or as a GitHub App installation; owns no reporting.
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { callGitHub } from "./github-error.js";
import { createJobTokenIssuer, type JobTokenIssuer } from "./installation-token.js";

/** A personal access or fine-grained token, or a GitHub App's id and PEM private key (as GitHub gives it). */
export type GitHubAuth = { token: string } | { appId: string; privateKey: string };

export type GitHubConnection = GitHubAuth & {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl: string;
};

export interface GitHubClient {
  /** An Octokit allowed to act on `owner/repo`: the token's, or the App's installation on that repository. */
  forRepository(owner: string, repo: string): Promise<Octokit>;
  /** Jobs' GITHUB_TOKENs: only a GitHub App can create tokens scoped to one repository and a job's permissions. */
  readonly jobTokens?: JobTokenIssuer;
}

export function createGitHubClient(connection: GitHubConnection): GitHubClient {
  const defaults = {
    baseUrl: connection.baseUrl.replace(/\/+$/, ""),
    userAgent: "hangar",
    // Failures reach callers as GitHubError; octokit's own request log would print each one twice.
    log: { debug: ignoreLog, info: ignoreLog, warn: console.warn, error: ignoreLog },
  };
  if ("token" in connection) {
    const octokit = new Octokit({ ...defaults, auth: connection.token });
    return { forRepository: async () => octokit };
  }
  const { appId, privateKey } = connection;
  const appAuth = { appId, privateKey };
  // Authenticated as the App itself (a JWT): it may only look up installations.
  const app = new Octokit({ ...defaults, authStrategy: createAppAuth, auth: appAuth });
  const installationIds = new Map<string, Promise<number>>();
  const installations = new Map<number, Octokit>();
  const lookUpInstallation = (owner: string, repo: string) =>
    callGitHub(
      "GITHUB_APP_NOT_INSTALLED",
      `GitHub App ${appId} has no installation on ${owner}/${repo} that it may use`,
      async () => (await app.rest.apps.getRepoInstallation({ owner, repo })).data.id,
    );
  return {
    jobTokens: createJobTokenIssuer(app, appId, defaults),
    async forRepository(owner, repo) {
      const key = `${owner}/${repo}`.toLowerCase();
      let installationId = installationIds.get(key);
      if (installationId === undefined) {
        installationId = lookUpInstallation(owner, repo);
        installationIds.set(key, installationId);
        // The App may be installed later: a failed lookup is not remembered.
        installationId.catch(() => installationIds.delete(key));
      }
      const id = await installationId;
      let octokit = installations.get(id);
      if (octokit === undefined) {
        // auth-app caches the installation token and mints a new one a minute before GitHub's hour runs out.
        octokit = new Octokit({
          ...defaults,
          authStrategy: createAppAuth,
          auth: { ...appAuth, installationId: id },
        });
        installations.set(id, octokit);
      }
      return octokit;
    },
  };
}

function ignoreLog(): void {}
