// Finds or installs one version of a tool from the tool cache, then from ordered sources (an install already on this
// machine linked in, a mirror downloaded): the order setup-node, setup-go and setup-java share. Python keeps its own
// (install-python): one of its versions is a pair, the Python version and PyPy's own.
import { readdir, realpath, symlink } from "node:fs/promises";
import path from "node:path";
import type { InstalledTool, ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";

/** Where versions of one tool come from besides the tool cache. */
export interface ToolSource {
  /** For messages: e.g. "this machine", "the Go mirror https://go.dev/dl". */
  readonly description: string;
  /** Every version this source has for `arch`, in the tool's semver form. */
  versions(arch: string, signal?: AbortSignal): Promise<string[]>;
  /** Writes `version` into `dir` in the layout the tool's archives have (bin/go, bin/java ...). */
  fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void>;
}

/** How one tool's versions are matched, ordered and kept in the cache. */
export interface ToolKind {
  /** The tool cache folder: `go`, `Java_Temurin-Hotspot_jdk`. */
  tool: string;
  /** For messages: "Go", "Java (Temurin-Hotspot jdk)". */
  label: string;
  /** What `hangar tools add` calls it: go, java. */
  addName: string;
  satisfies(spec: string, version: string): boolean;
  /** Ascending order of versions. */
  compare(a: string, b: string): number;
  /** The cache folder a version is kept in, and the version a folder holds. */
  folderOf(version: string): string;
  versionOf(folder: string): string;
}

export interface ToolRequest {
  spec: string;
  arch: string;
  /** Asks every source for the newest version that satisfies the spec before looking in the cache. */
  checkLatest: boolean;
}

export interface ToolSetUp {
  installed: InstalledTool;
  /** The version in the tool's own form (the cache folder may spell it otherwise). */
  version: string;
  /** Absent when the tool cache had it. */
  from?: string;
}

export interface ToolSources {
  /** Whether the tool cache answers first. */
  useCache: boolean;
  remote: ToolSource[];
}

export type ToolLog = (text: string) => void;

/** The highest of `versions` that satisfies `spec`. */
export function pickFrom(kind: ToolKind, spec: string, versions: string[]): string | undefined {
  return [...versions].sort((a, b) => kind.compare(b, a)).find((each) => kind.satisfies(spec, each));
}

/** The newest version any source has for the spec; a source that cannot answer is passed over. */
export async function newestAnywhere(
  kind: ToolKind,
  request: ToolRequest,
  sources: ToolSource[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const found = await Promise.all(
    sources.map((source) =>
      source.versions(request.arch, signal).then(
        (versions) => pickFrom(kind, request.spec, versions),
        () => undefined,
      ),
    ),
  );
  return pickFrom(
    kind,
    request.spec,
    found.filter((each): each is string => each !== undefined),
  );
}

/** The complete installs of the tool for `arch`, as versions in the tool's form. */
export async function cachedVersions(kind: ToolKind, cache: ToolCache, arch: string): Promise<string[]> {
  return (await cache.list(kind.tool))
    .filter((each) => each.arch === arch)
    .map((each) => kind.versionOf(each.version));
}

/** @actions/tool-cache's `find` over the tool's own version order; touches the marker as ToolCache.find does. */
async function findCached(
  kind: ToolKind,
  cache: ToolCache,
  spec: string,
  arch: string,
): Promise<ToolSetUp | undefined> {
  const version = pickFrom(kind, spec, await cachedVersions(kind, cache, arch));
  const installed = version ? await cache.find(kind.tool, kind.folderOf(version), arch) : undefined;
  return installed && version ? { installed, version } : undefined;
}

export async function setUpTool(
  kind: ToolKind,
  request: ToolRequest,
  cache: ToolCache,
  sources: ToolSources,
  options: { signal?: AbortSignal; log?: ToolLog } = {},
): Promise<ToolSetUp> {
  const { signal } = options;
  const log = options.log ?? (() => undefined);
  let spec = request.spec;
  if (request.checkLatest) {
    const newest = await newestAnywhere(kind, request, sources.remote, signal);
    if (newest) {
      log(`Resolved ${spec} as ${newest}`);
      spec = newest;
    }
  }
  if (sources.useCache) {
    const found = await findCached(kind, cache, spec, request.arch);
    if (found) return found;
  }
  const problems: string[] = [];
  for (const source of sources.remote) {
    try {
      const versions = await source.versions(request.arch, signal);
      const version = pickFrom(kind, spec, versions);
      if (!version) {
        problems.push(`${source.description} has ${summary(kind, versions)}`);
        continue;
      }
      log(`Acquiring ${kind.label} ${version} (${request.arch}) from ${source.description}`);
      const installed = await cache.install(kind.tool, kind.folderOf(version), request.arch, (dir) =>
        source.fill(version, request.arch, dir, signal),
      );
      return { installed, version, from: source.description };
    } catch (error) {
      problems.push(`${source.description}: ${(error as Error).message}`);
    }
  }
  const cached = sources.useCache ? await cachedVersions(kind, cache, request.arch) : [];
  throw new ToolError(
    "TOOL_VERSION_UNAVAILABLE",
    `${kind.label} ${request.spec} (${request.arch}) is not available: the tool cache has ${
      cached.length > 0 ? summary(kind, cached) : `no ${kind.label}`
    }; ${problems.join("; ") || "no other source is configured"}. Add it with: ${addCommandFor(kind.addName, request.spec)}`,
  );
}

/** A list of versions short enough for one line: the newest few and how many more. */
function summary(kind: ToolKind, versions: string[]): string {
  const shown = 6;
  const sorted = [...versions].sort((a, b) => kind.compare(b, a));
  if (sorted.length === 0) return "none";
  const more = sorted.length - shown;
  return `${sorted.slice(0, shown).join(", ")}${more > 0 ? ` and ${more} older` : ""}`;
}

/** The `hangar tools add` command for a spec, quoted for a shell when it has spaces. */
export function addCommandFor(tool: string, spec: string): string {
  const addable = /^[\w.*^~<>=|+ -]+$/.test(spec) ? spec : "VERSION";
  return `hangar tools add ${tool} ${addable.includes(" ") ? `'${addable}'` : addable}`;
}

/**
 * Fills a cache directory with links to each top-level entry of an install already on this machine, so that the
 * cache holds the tool's layout without a copy. The tool's binaries find their home through /proc/self/exe, which is
 * the real path, so they behave as they do in place.
 */
export async function linkInstall(root: string, dir: string): Promise<void> {
  for (const entry of await readdir(root)) await symlink(path.join(root, entry), path.join(dir, entry));
}

/** The real paths of the candidates that exist, each once, in their order. */
export async function realPathsOnce(candidates: string[]): Promise<string[]> {
  const found = await Promise.all(candidates.map((each) => realpath(each).catch(() => undefined)));
  return [...new Set(found.filter((each): each is string => each !== undefined))];
}
