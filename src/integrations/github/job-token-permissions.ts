// The permissions of the installation access token hangar creates as a job's GITHUB_TOKEN, from the job's
// `permissions:` (docs "Controlling permissions for GITHUB_TOKEN"); the REST calls live in installation-token.ts.
import type { PermissionLevel, PermissionsDeclaration } from "../../workflow/index.js";

/** The body's `permissions` of "Create an installation access token for an app": App permission to level. */
export type TokenPermissions = Record<string, "read" | "write">;

/**
 * Contract (`--job-token-permissions`): what a job without `permissions:` gets, named after GitHub's repository
 * setting "Workflow permissions" (read repository contents and packages / read and write).
 */
export const jobTokenDefaults = ["restricted", "permissive"] as const;
export type JobTokenDefault = (typeof jobTokenDefaults)[number];

/**
 * Workflow scope to the App permission it is (REST schema "app-permissions"; the octokit types bundled here predate
 * some of them). Scopes with no App permission are not part of an installation token:
 * id-token (OIDC tokens, which hangar does not issue), models, drives and copilot-requests.
 */
const appPermissionOf = {
  actions: "actions",
  "artifact-metadata": "artifact_metadata",
  attestations: "attestations",
  checks: "checks",
  "code-quality": "code_quality",
  contents: "contents",
  deployments: "deployments",
  discussions: "discussions",
  issues: "issues",
  packages: "packages",
  pages: "pages",
  "pull-requests": "pull_requests",
  "repository-projects": "repository_projects",
  "security-events": "security_events",
  statuses: "statuses",
  "vulnerability-alerts": "vulnerability_alerts",
} as const;

type Scope = keyof typeof appPermissionOf;
const scopes = Object.keys(appPermissionOf) as Scope[];

/** The docs' table of default access ("restricted" and "permissive"), App scopes only. */
const defaultScopes: Record<JobTokenDefault, Partial<Record<Scope, PermissionLevel>>> = {
  restricted: { contents: "read", packages: "read" },
  permissive: {
    actions: "write",
    attestations: "write",
    checks: "write",
    contents: "write",
    deployments: "write",
    discussions: "write",
    issues: "write",
    packages: "write",
    pages: "write",
    "pull-requests": "write",
    "repository-projects": "write",
    "security-events": "write",
    statuses: "write",
  },
};

const rank: Record<string, number> = { none: 0, read: 1, write: 2, admin: 3 };

export interface JobTokenPermissionsInput {
  /** The job's effective `permissions:`; undefined takes `defaults`. */
  declared: PermissionsDeclaration | undefined;
  defaults: JobTokenDefault;
  /**
   * The effective `permissions:` of the jobs calling this one's workflow, outermost first (undefined: their default):
   * a called workflow may lower the token's permissions but not raise them (docs "Reusing workflows").
   */
  callers?: (PermissionsDeclaration | undefined)[];
  /** A pull request from a fork: every permission at most read, as GitHub gives such runs. */
  isFork: boolean;
  /** What the App's installation may do (GET /repos/{owner}/{repo}/installation `permissions`). */
  granted: Record<string, string | undefined>;
}

export interface JobTokenPermissions {
  permissions: TokenPermissions;
  /** Scopes the job names explicitly that the installation lacks, e.g. `issues: write`: the job cannot run. */
  ungranted: string[];
}

/**
 * Scopes the workflow names explicitly must be granted to the App, or the job fails saying which; `read-all`,
 * `write-all` and the default mean "everything" and get what the installation has of it.
 */
export function jobTokenPermissions(input: JobTokenPermissionsInput): JobTokenPermissions {
  const isExplicit = typeof input.declared === "object";
  const ceilings = [
    ...(input.callers ?? []).map((caller) => levelsOf(caller, input.defaults)),
    ...(input.isFork ? [levelsOf("read-all", input.defaults)] : []),
  ];
  // Metadata (read) comes with every GITHUB_TOKEN and every installation token.
  const permissions: TokenPermissions = { metadata: "read" };
  const ungranted: string[] = [];
  for (const [scope, wanted] of Object.entries(levelsOf(input.declared, input.defaults))) {
    const capped = ceilings.reduce(
      (level, ceiling) => lower(level, ceiling[scope as Scope] ?? "none"),
      wanted as string,
    );
    const name = appPermissionOf[scope as Scope];
    const granted = input.granted[name] ?? "none";
    const given = lower(capped, granted);
    if (given !== capped && isExplicit) ungranted.push(`${scope}: ${capped}`);
    if (given === "read" || given === "write") permissions[name] = given;
  }
  return { permissions, ungranted };
}

function levelsOf(
  declared: PermissionsDeclaration | undefined,
  defaults: JobTokenDefault,
): Partial<Record<Scope, PermissionLevel>> {
  if (declared === undefined) return defaultScopes[defaults];
  if (typeof declared === "string") {
    const level = declared === "write-all" ? "write" : "read";
    return Object.fromEntries(scopes.map((scope) => [scope, level]));
  }
  return Object.fromEntries(
    Object.entries(declared).filter(([scope]) => (scopes as string[]).includes(scope)),
  ) as Partial<Record<Scope, PermissionLevel>>;
}

function lower(a: string, b: string): string {
  return (rank[a] ?? 0) <= (rank[b] ?? 0) ? a : b;
}
