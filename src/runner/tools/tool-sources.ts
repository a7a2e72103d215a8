// Which sources the runner tries for a tool, in order, from `hangar run` flags or the runner's environment.
import { ToolError } from "./tool-error.js";

/**
 * Contract: the names `--tool-source` and HANGAR_TOOL_SOURCES accept. A tool uses the kinds it has: Node cache, npm,
 * mirror; Python, Go and Java cache, host (an install already on the machine), mirror.
 */
export const toolSourceKinds = ["cache", "host", "npm", "mirror"] as const;
export type ToolSourceKind = (typeof toolSourceKinds)[number];

export interface ToolSourceSettings {
  /** Tried in this order; a kind left out is never used. */
  order: ToolSourceKind[];
  /** A mirror shaped like nodejs.org/dist (the directory holding index.json). */
  nodeMirror: string;
  /** The npm registry; absent, the one npm itself is configured with. */
  npmRegistry?: string;
  /** A directory of python-build-standalone archives with their SHA256SUMS; absent, the latest release's. */
  pythonMirror?: string;
  /** A mirror shaped like go.dev/dl; absent, go.dev/dl. */
  goMirror?: string;
  /** A server with the Adoptium API's /v3/assets/version; absent, api.adoptium.net. */
  javaMirror?: string;
}

export const defaultNodeMirror = "https://nodejs.org/dist";
/** GitHub redirects a latest release's asset names to that release's files, SHA256SUMS included. */
export const defaultPythonMirror =
  "https://github.com/astral-sh/python-build-standalone/releases/latest/download";
export const defaultGoMirror = "https://go.dev/dl";
export const defaultJavaMirror = "https://api.adoptium.net";

export function parseToolSourceOrder(value: string, field: string): ToolSourceKind[] {
  const order = value
    .split(",")
    .map((each) => each.trim())
    .filter(Boolean);
  for (const kind of order) {
    if (!(toolSourceKinds as readonly string[]).includes(kind)) {
      throw new ToolError(
        "TOOL_SOURCE_INVALID",
        `${field}: '${kind}' is not a tool source (use ${toolSourceKinds.join(", ")})`,
      );
    }
  }
  return [...new Set(order)] as ToolSourceKind[];
}

function checkUrl(value: string, field: string): string {
  try {
    new URL(value);
  } catch {
    throw new ToolError("TOOL_SOURCE_INVALID", `${field}: '${value}' is not a URL`);
  }
  return value;
}

/** A mirror from its flag, else its variable, else the default. */
function mirrorSetting(
  env: NodeJS.ProcessEnv,
  given: string | undefined,
  [flag, variable, fallback]: [string, string, string],
): string {
  const value = given ?? env[variable];
  return value ? checkUrl(value, given ? flag : variable) : fallback;
}

/**
 * HANGAR_TOOL_SOURCES (comma-separated, default cache,host,npm,mirror) and each tool's mirror (HANGAR_NODE_MIRROR,
 * HANGAR_PYTHON_MIRROR, HANGAR_GO_MIRROR, HANGAR_JAVA_MIRROR), with overrides.
 */
export function readToolSourceSettings(
  env: NodeJS.ProcessEnv,
  overrides: {
    order?: string;
    nodeMirror?: string;
    pythonMirror?: string;
    goMirror?: string;
    javaMirror?: string;
  } = {},
): ToolSourceSettings {
  const order = overrides.order ?? env["HANGAR_TOOL_SOURCES"];
  const mirror = (given: string | undefined, flag: string, variable: string, fallback: string) =>
    mirrorSetting(env, given, [flag, variable, fallback]);
  return {
    order: order
      ? parseToolSourceOrder(order, overrides.order ? "--tool-source" : "HANGAR_TOOL_SOURCES")
      : [...toolSourceKinds],
    nodeMirror: mirror(overrides.nodeMirror, "--node-mirror", "HANGAR_NODE_MIRROR", defaultNodeMirror),
    pythonMirror: mirror(
      overrides.pythonMirror,
      "--python-mirror",
      "HANGAR_PYTHON_MIRROR",
      defaultPythonMirror,
    ),
    goMirror: mirror(overrides.goMirror, "--go-mirror", "HANGAR_GO_MIRROR", defaultGoMirror),
    javaMirror: mirror(overrides.javaMirror, "--java-mirror", "HANGAR_JAVA_MIRROR", defaultJavaMirror),
  };
}
