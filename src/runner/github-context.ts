// Builds the `github` and `runner` contexts and the default GITHUB_* variables from a run's identity and event.
import os from "node:os";
import type { ExpressionValue } from "../workflow/index.js";

export interface RepositoryIdentity {
  owner: string;
  name: string;
}

/** Who and what a run is about; the edge (CLI, server) derives it from git or the webhook. */
export interface RunIdentity {
  runId: string;
  runNumber: number;
  attempt: number;
  actor: string;
  sha: string;
  ref: string;
  repository: RepositoryIdentity;
  serverUrl: string;
}

export interface TriggeringEvent {
  name: string;
  payload: Record<string, ExpressionValue>;
}

export interface GithubContextInput {
  identity: RunIdentity;
  event: TriggeringEvent;
  workflowName: string;
  workflowFile: string;
  workspace: string;
  eventPath: string;
  jobId: string;
  /** `secrets.GITHUB_TOKEN` when the run has one: github.token is the same value (docs "Automatic token authentication"). */
  token?: string;
}

/** Per docs "Contexts reference → github context"; fields we cannot know locally are left empty, not invented. */
export function buildGithubContext(input: GithubContextInput): Record<string, ExpressionValue> {
  const { identity, event } = input;
  const repository = `${identity.repository.owner}/${identity.repository.name}`;
  const pullRequest = event.payload["pull_request"] as Record<string, ExpressionValue> | undefined;
  const ref = identity.ref;
  const refType = ref.startsWith("refs/tags/") ? "tag" : ref.startsWith("refs/heads/") ? "branch" : "";
  const apiUrl =
    identity.serverUrl === "https://github.com" ? "https://api.github.com" : `${identity.serverUrl}/api/v3`;
  return {
    action: "",
    action_path: "",
    action_ref: "",
    action_repository: "",
    actor: identity.actor,
    triggering_actor: identity.actor,
    api_url: apiUrl,
    graphql_url: apiUrl.endsWith("/v3") ? apiUrl.replace(/\/v3$/, "/graphql") : `${apiUrl}/graphql`,
    server_url: identity.serverUrl,
    base_ref: pullRequest ? String(nested(pullRequest, "base", "ref") ?? "") : "",
    head_ref: pullRequest ? String(nested(pullRequest, "head", "ref") ?? "") : "",
    event: event.payload,
    event_name: event.name,
    event_path: input.eventPath,
    job: input.jobId,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags|pull)\//, ""),
    ref_protected: false,
    ref_type: refType,
    repository,
    repository_owner: identity.repository.owner,
    repositoryUrl: `git://${new URL(identity.serverUrl).host}/${repository}.git`,
    retention_days: "90",
    run_id: identity.runId,
    run_number: String(identity.runNumber),
    run_attempt: String(identity.attempt),
    secret_source: "Actions",
    sha: identity.sha,
    token: input.token ?? "",
    workflow: input.workflowName,
    workflow_ref: `${repository}/${input.workflowFile}@${ref}`,
    workflow_sha: identity.sha,
    workspace: input.workspace,
  };
}

function nested(value: Record<string, ExpressionValue>, ...path: string[]): ExpressionValue | undefined {
  let current: ExpressionValue | undefined = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

export interface RunnerDirectories {
  temp: string;
  toolCache: string;
}

export function buildRunnerContext(name: string, dirs: RunnerDirectories): Record<string, ExpressionValue> {
  return {
    name,
    os: runnerOs(),
    arch: runnerArch(),
    temp: dirs.temp,
    tool_cache: dirs.toolCache,
    debug: "",
    environment: "self-hosted",
  };
}

function runnerOs(): string {
  return { linux: "Linux", darwin: "macOS", win32: "Windows" }[os.platform() as string] ?? os.platform();
}

function runnerArch(): string {
  return { x64: "X64", arm64: "ARM64", arm: "ARM", ia32: "X86" }[os.arch() as string] ?? os.arch();
}

/** Default variables per docs "Variables reference → default environment variables": name to github/runner field. */
const defaultVariables: [string, "github" | "runner", string][] = [
  ["GITHUB_ACTOR", "github", "actor"],
  ["GITHUB_TRIGGERING_ACTOR", "github", "triggering_actor"],
  ["GITHUB_API_URL", "github", "api_url"],
  ["GITHUB_GRAPHQL_URL", "github", "graphql_url"],
  ["GITHUB_SERVER_URL", "github", "server_url"],
  ["GITHUB_BASE_REF", "github", "base_ref"],
  ["GITHUB_HEAD_REF", "github", "head_ref"],
  ["GITHUB_EVENT_NAME", "github", "event_name"],
  ["GITHUB_EVENT_PATH", "github", "event_path"],
  ["GITHUB_JOB", "github", "job"],
  ["GITHUB_REF", "github", "ref"],
  ["GITHUB_REF_NAME", "github", "ref_name"],
  ["GITHUB_REF_PROTECTED", "github", "ref_protected"],
  ["GITHUB_REF_TYPE", "github", "ref_type"],
  ["GITHUB_REPOSITORY", "github", "repository"],
  ["GITHUB_REPOSITORY_OWNER", "github", "repository_owner"],
  ["GITHUB_RETENTION_DAYS", "github", "retention_days"],
  ["GITHUB_RUN_ID", "github", "run_id"],
  ["GITHUB_RUN_NUMBER", "github", "run_number"],
  ["GITHUB_RUN_ATTEMPT", "github", "run_attempt"],
  ["GITHUB_SHA", "github", "sha"],
  ["GITHUB_WORKFLOW", "github", "workflow"],
  ["GITHUB_WORKFLOW_REF", "github", "workflow_ref"],
  ["GITHUB_WORKFLOW_SHA", "github", "workflow_sha"],
  ["GITHUB_WORKSPACE", "github", "workspace"],
  ["RUNNER_NAME", "runner", "name"],
  ["RUNNER_OS", "runner", "os"],
  ["RUNNER_ARCH", "runner", "arch"],
  ["RUNNER_TEMP", "runner", "temp"],
  ["RUNNER_TOOL_CACHE", "runner", "tool_cache"],
  ["RUNNER_ENVIRONMENT", "runner", "environment"],
];

export function buildDefaultVariables(
  github: Record<string, ExpressionValue>,
  runner: Record<string, ExpressionValue>,
): Record<string, string> {
  const variables: Record<string, string> = { CI: "true", GITHUB_ACTIONS: "true" };
  for (const [name, context, field] of defaultVariables) {
    const value = (context === "github" ? github : runner)[field];
    variables[name] = value === null || value === undefined ? "" : String(value);
  }
  return variables;
}
