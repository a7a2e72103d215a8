// The corpus bench's judgement of a red job: its first cause, and whether this machine or hangar is to blame.

/**
 * `environment`: something this machine lacks that GitHub's hosted runners have (sudo, a Docker daemon, the internet
 * beyond the npm registry, preinstalled tools). `hangar`: everything else. `limit`: the bench's own time limit.
 */
export type CauseClass = "environment" | "hangar" | "limit";

export interface Cause {
  class: CauseClass;
  /** Short and shared by every job with the same first cause; details go in `detail`. */
  cause: string;
  detail?: string;
}

interface Rule {
  class: CauseClass;
  cause: string;
  /** Matched against the failed step's error message and log lines. */
  pattern: RegExp;
}

// First match wins; hangar's own messages come first so that a log mentioning a network error does not hide them.
const rules: Rule[] = [
  {
    class: "hangar",
    cause: "remote reusable workflow not in the action store",
    pattern: /Action \S+\/\.github\/workflows\/\S+ is not in hangar's action store/,
  },
  {
    class: "hangar",
    cause: "remote action not in the action store",
    pattern: /is not in hangar's action store/,
  },
  {
    class: "hangar",
    cause: "a built-in step stopped by a cancel ends as failure",
    pattern: /actions\/setup-(node|python): .* exited with SIG/,
  },
  {
    class: "hangar",
    cause: "setup-node accepts only the node on PATH",
    pattern: /actions\/setup-node: version .* was asked for/,
  },
  {
    class: "hangar",
    cause: "setup-python accepts only the python on PATH",
    pattern: /actions\/setup-python: version .* was asked for/,
  },
  {
    class: "hangar",
    cause: "setup-* cannot read its version file",
    pattern: /actions\/setup-(node|python): cannot read/,
  },
  {
    class: "hangar",
    cause: "github.token is empty (inputs defaulting to it are missing)",
    pattern: /Input required and not supplied: (token|github-token|repo-token)/,
  },
  {
    class: "hangar",
    // Since each job has its own workspace, what is left to share on the host executor is the user's HOME (~/.npm).
    cause: "parallel jobs share a directory (workspace, or HOME on the host executor)",
    pattern:
      /\b(EEXIST|ENOTEMPTY)\b|destination path '.*' already exists|cannot remove '.*': No such file or directory/,
  },
  {
    // The bench's loopback GitHub serves only the mirrored repositories, some without their largest objects;
    // github.com would have them.
    class: "environment",
    cause: "action not (wholly) in the bench's mirror (no internet)",
    pattern: /Cannot fetch \S+ from http:\/\/127\.0\.0\.1:\d+\//,
  },
  {
    // This machine's ~/.npmrc says `yes=false`; GitHub's runner has no such setting, and npx installs what it lacks.
    class: "environment",
    cause: "npx refuses to install (this machine's npm config: yes=false)",
    pattern: /npx canceled due to missing packages and no YES option/,
  },
  { class: "environment", cause: "no sudo", pattern: /sudo: (command )?not found|is not in the sudoers/ },
  {
    class: "environment",
    cause: "no Docker daemon",
    pattern: /Cannot connect to the Docker daemon|docker\.sock|docker: command not found/,
  },
  {
    class: "environment",
    cause: "no PyPI (no internet)",
    pattern:
      /Could not find a version that satisfies the requirement|No matching distribution found|Failed to fetch: `https:\/\/pypi\.org|pypi\.org.*(dns error|failed to lookup)/i,
  },
  {
    class: "environment",
    cause: "no internet",
    pattern:
      /Could not resolve host|Temporary failure in name resolution|Temporary failure resolving|\bENOTFOUND\b|\bEAI_AGAIN\b|NewConnectionError|ENETUNREACH|Network is unreachable|Name or service not known|Failed to establish a new connection|No address associated with hostname|dns error|failed to lookup address|no such host/i,
  },
  {
    // Node's fetch in a JavaScript action (astral-sh/setup-uv reaching raw.githubusercontent.com) says only this.
    class: "environment",
    cause: "no internet",
    pattern: /^error: fetch failed$/m,
  },
  {
    // curl -s prints nothing; its exit code 6 is "could not resolve host".
    class: "environment",
    cause: "no internet",
    pattern: /^Downloading\b[\s\S]*exit code 6\./m,
  },
  {
    // A step that printed nothing (`curl -s`) and ended with curl's exit code 6, "could not resolve host".
    class: "environment",
    cause: "no internet",
    pattern: /^([^\n]*Process completed with exit code 6\.\s*)+$/,
  },
  {
    // The registry this machine reaches serves packages but not npm's audit endpoint (/-/npm/v1/security/...).
    class: "environment",
    cause: "no internet (the npm registry's audit endpoint)",
    pattern: /npm error audit endpoint returned an error/,
  },
  {
    // The bench's GitHub is `git http-backend` over the mirrors; github.com also answers the REST API.
    class: "environment",
    cause: "the bench's loopback GitHub has no REST API",
    pattern: /serves git only, not GitHub's REST API/,
  },
  {
    // The bench commits each tree afresh: that commit is on no remote, where on GitHub github.sha is.
    class: "environment",
    cause: "the bench's commit is not on its loopback GitHub",
    pattern: /upload-pack: not our ref/,
  },
  {
    // actions/checkout's unit test expects GITHUB_SERVER_URL to be github.com; here it is the bench's loopback host.
    class: "environment",
    cause: "GITHUB_SERVER_URL is the bench's loopback GitHub",
    pattern: /✕ configureAuth configures auth header \(/,
  },
  {
    class: "environment",
    cause: "a tool GitHub's runner image has is missing",
    pattern: /(?:^|\s)(\S+): (?:command )?not found\s*$/m,
  },
];

export function classifyFailure(text: string): Cause {
  for (const rule of rules) {
    const match = rule.pattern.exec(text);
    if (!match) continue;
    const line = text.slice(text.lastIndexOf("\n", match.index) + 1).split("\n")[0]!;
    return { class: rule.class, cause: rule.cause, detail: line.trim().slice(0, 240) };
  }
  const firstLine =
    text
      .split("\n")
      .map((l) => l.trim())
      .find(Boolean) ?? "";
  return { class: "hangar", cause: "unclassified", detail: firstLine.slice(0, 240) };
}

/** A job skipped because no executor serves its labels: this machine is not that OS. */
export const noRunnerCause: Cause = { class: "environment", cause: "no runner for the job's labels" };

/** A job for Windows or macOS that hangar ran on Linux anyway: its result says nothing about the workflow. */
export function foreignOsCause(labels: string): Cause | undefined {
  const os = /windows|macos/i.exec(labels)?.[0];
  return os
    ? { class: "hangar", cause: "a windows/macos job ran on Linux", detail: `runs-on ${labels}` }
    : undefined;
}
