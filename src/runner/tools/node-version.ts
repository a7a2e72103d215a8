// Which Node version a setup-node step asks for, decided as actions/setup-node decides it (src/util.ts,
// src/distributions/official_builds): version files, LTS aliases, latest aliases and semver ranges. Pure: no I/O.
import semver from "semver";
import { ToolError } from "./tool-error.js";

/** One LTS line: its major version and codename, e.g. 22 and "Jod". */
export interface LtsLine {
  major: number;
  codename: string;
}

/** What a version file said: a version spec, a package.json's `volta.extends` to follow, or nothing usable. */
export type VersionFileContent = { spec: string } | { extends: string } | undefined;

/**
 * setup-node's getNodeVersionFromFile: a package.json gives `volta.node`, then `devEngines.runtime` (an entry named
 * node with a version), then `engines.node`, then follows `volta.extends`; any other file gives its first line that
 * reads `[node|nodejs ]vX` (.nvmrc, .node-version, .tool-versions), else its whole trimmed text.
 */
export function readNodeVersionFile(contents: string): VersionFileContent {
  let manifest: unknown;
  try {
    manifest = JSON.parse(contents);
  } catch {
    manifest = undefined;
  }
  if (typeof manifest === "object" && manifest !== null) {
    const { volta, devEngines, engines } = manifest as {
      volta?: { node?: unknown; extends?: unknown };
      devEngines?: { runtime?: unknown };
      engines?: { node?: unknown };
    };
    if (typeof volta?.node === "string" && volta.node) return { spec: volta.node };
    const runtime = [devEngines?.runtime ?? []]
      .flat()
      .find(
        (entry): entry is { version: string } =>
          typeof entry === "object" &&
          entry !== null &&
          String((entry as { name?: unknown }).name).toLowerCase() === "node" &&
          typeof (entry as { version?: unknown }).version === "string" &&
          (entry as { version: string }).version !== "",
      );
    if (runtime) return { spec: runtime.version };
    if (typeof engines?.node === "string" && engines.node) return { spec: engines.node };
    if (typeof volta?.extends === "string" && volta.extends) return { extends: volta.extends };
    return undefined;
  }
  const found = contents.match(/^(?:node(?:js)?\s+)?v?(?<version>\S+)$/m);
  const spec = found?.groups?.["version"] ?? contents.trim();
  return spec ? { spec } : undefined;
}

/** `current`, `latest` and `node` mean the newest release there is. */
export function isLatestAlias(spec: string): boolean {
  return ["current", "latest", "node"].includes(spec);
}

export function isLtsAlias(spec: string): boolean {
  return spec.startsWith("lts/");
}

/**
 * setup-node's resolveLtsAliasFromManifest, over LTS lines instead of its manifest: `lts/*` is the newest line,
 * `lts/-n` the n-th before it, `lts/<codename>` that line (any case). Gives the line's major, as setup-node does.
 */
export function resolveLtsAlias(spec: string, lines: LtsLine[]): string {
  const alias = spec.split("lts/")[1]?.toLowerCase();
  if (!alias)
    throw new ToolError("TOOL_VERSION_INVALID", `Unable to parse LTS alias for Node version '${spec}'`);
  const ordered = [...lines].sort((a, b) => a.major - b.major);
  const back = Number(alias);
  const line =
    alias === "*"
      ? ordered.at(-1)
      : back < 0
        ? ordered[ordered.length - 1 + back]
        : ordered.find((each) => each.codename.toLowerCase() === alias);
  if (!line) {
    throw new ToolError(
      "TOOL_VERSION_UNAVAILABLE",
      `Unable to find LTS release '${alias}' for Node version '${spec}' (LTS lines known: ${
        ordered.map((each) => `${each.codename.toLowerCase()} (${each.major})`).join(", ") || "none"
      })`,
    );
  }
  return String(line.major);
}

/**
 * setup-node's evaluateVersions over the versions a source has: the newest for a latest alias, else the newest that
 * satisfies the spec, the spec being an exact version when semver can clean it into one and a range otherwise.
 */
export function pickVersion(spec: string, versions: string[]): string | undefined {
  const sorted = versions.filter((each) => semver.valid(each)).sort(semver.rcompare);
  // nodejs.org's index (setup-node's list) holds releases only; a registry may also list prereleases.
  if (isLatestAlias(spec)) return sorted.find((each) => semver.prerelease(each) === null);
  const range = semver.valid(semver.clean(spec) ?? "") ?? spec;
  if (semver.validRange(range) === null) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `'${spec}' is not a Node version, a semver range, lts/<alias> or latest`,
    );
  }
  return sorted.find((each) => semver.satisfies(each, range));
}
