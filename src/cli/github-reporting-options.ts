// `hangar serve`'s flags for GitHub (reporting back, jobs' tokens): parsed and checked here, so bad ones stop the
// server starting.
import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { jobTokenDefaults, type JobTokenDefault } from "../integrations/github/index.js";
import type { ServerConfig } from "../server/index.js";
import { UsageError } from "./exit-codes.js";

export const gitHubReportingOptions = {
  "github-url": { type: "string" },
  "github-token": { type: "string" },
  "github-app-id": { type: "string" },
  "github-app-key": { type: "string" },
  "github-report": { type: "string" },
  "github-pr-comment": { type: "boolean" },
  "job-token-permissions": { type: "string" },
} as const;

export const gitHubReportingUsage = `  --github-url URL     GitHub's REST API (default: https://api.github.com; GitHub Enterprise: https://HOST/api/v3);
                       actions missing from a runner's store are fetched from its web host (https://github.com)
  --github-token TOKEN token for reporting (default: $GITHUB_TOKEN; without a token or App nothing is reported)
  --github-app-id ID   report as this GitHub App instead, on each repository's installation
  --github-app-key F   the App's private key (PEM file, as GitHub gives it)
  --github-report M    statuses (commit statuses, the default) or checks (check runs; needs a GitHub App)
  --github-pr-comment  comment on pull requests with a summary of each pull_request(_target) run
  --job-token-permissions P
                       with an App, each job gets an installation token as its GITHUB_TOKEN; P is what a job
                       without permissions: gets: restricted (contents and packages read, the default) or
                       permissive (write, as far as the App may); a --github-token is never given to jobs
`;

type GitHubReportingValues = {
  [K in keyof typeof gitHubReportingOptions]?: (typeof gitHubReportingOptions)[K]["type"] extends "boolean"
    ? boolean
    : string;
};

const reportModes = ["statuses", "checks"] as const;

export async function readGitHubReporting(
  values: GitHubReportingValues,
  env: NodeJS.ProcessEnv,
): Promise<ServerConfig["github"]> {
  const baseUrl = values["github-url"] ?? "https://api.github.com";
  if (!/^https?:\/\/[^/]/.test(baseUrl))
    throw new UsageError(`--github-url must be an http(s) URL, got '${baseUrl}'`);
  const report = values["github-report"] ?? "statuses";
  if (!(reportModes as readonly string[]).includes(report))
    throw new UsageError(`--github-report must be ${reportModes.join(" or ")}, got '${report}'`);
  const jobTokenPermissions = values["job-token-permissions"] ?? "restricted";
  if (!(jobTokenDefaults as readonly string[]).includes(jobTokenPermissions))
    throw new UsageError(
      `--job-token-permissions must be ${jobTokenDefaults.join(" or ")}, got '${jobTokenPermissions}'`,
    );
  const options = {
    baseUrl,
    report: report as (typeof reportModes)[number],
    prComment: values["github-pr-comment"] ?? false,
  };
  const appId = values["github-app-id"];
  const keyFile = values["github-app-key"];
  if (appId !== undefined || keyFile !== undefined) {
    if (values["github-token"] !== undefined)
      throw new UsageError("--github-token and --github-app-id are two ways to authenticate: give one");
    if (appId === undefined) throw new UsageError("--github-app-key needs --github-app-id, the App's id");
    if (!/^[1-9]\d*$/.test(appId))
      throw new UsageError(`--github-app-id must be the App's numeric id, got '${appId}'`);
    if (keyFile === undefined)
      throw new UsageError("--github-app-id needs --github-app-key, the App's private key");
    return {
      ...options,
      jobTokenPermissions: jobTokenPermissions as JobTokenDefault,
      appId,
      privateKey: await readPrivateKey(keyFile),
    };
  }
  // A token is the operator's own credential, broader than any job should hold (docs/job-token.md).
  if (values["job-token-permissions"] !== undefined)
    throw new UsageError(
      "--job-token-permissions needs --github-app-id: only an App's tokens are given to jobs",
    );
  const token = values["github-token"] ?? env["GITHUB_TOKEN"];
  if (token) {
    if (report === "checks")
      throw new UsageError(
        "--github-report checks needs --github-app-id and --github-app-key: GitHub lets only Apps create check runs",
      );
    return { ...options, token };
  }
  // --github-url alone is no mistake: it also says where actions come from.
  const unused = (["github-report", "github-pr-comment"] as const).find((flag) => values[flag]);
  if (unused)
    throw new UsageError(
      `--${unused} needs --github-token (or $GITHUB_TOKEN) or --github-app-id to report with`,
    );
  return undefined;
}

async function readPrivateKey(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`--github-app-key: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    createPrivateKey(pem);
  } catch {
    throw new UsageError(`--github-app-key: ${file} is not a PEM private key`);
  }
  return pem;
}
