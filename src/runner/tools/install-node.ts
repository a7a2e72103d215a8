// Finds or installs the Node a setup-node step (or `hangar tools add node`) asks for, in actions/setup-node's
// order: resolve LTS and latest aliases, check-latest, the tool cache, then each configured source.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DistMirrorSource, NpmRegistrySource, npmRegistryUrl, type NodeSource } from "./node-sources.js";
import { isLatestAlias, isLtsAlias, pickVersion, resolveLtsAlias, type LtsLine } from "./node-version.js";
import type { InstalledTool, ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";
import { addCommandFor } from "./tool-install.js";
import type { ToolSourceSettings } from "./tool-sources.js";

export interface NodeRequest {
  /** node-version as given: `22`, `22.x`, `>=20 <23`, `lts/*`, `latest` ... */
  spec: string;
  /** os.arch() names: x64, arm64, arm. */
  arch: string;
  checkLatest: boolean;
}

export interface NodeSetUp {
  installed: InstalledTool;
  /** Absent when the tool cache had it. */
  downloadedFrom?: string;
}

export interface NodeSources {
  /** Whether the tool cache answers first. */
  useCache: boolean;
  remote: NodeSource[];
}

/** The sources `settings` name, in their order (the cache is not a NodeSource: it is always asked first). */
export function nodeSourcesFor(
  settings: ToolSourceSettings,
  env: NodeJS.ProcessEnv = process.env,
): NodeSources {
  const registry = settings.npmRegistry;
  const remote = settings.order.flatMap((kind): NodeSource[] =>
    kind === "npm"
      ? [new NpmRegistrySource(() => (registry ? Promise.resolve(registry) : npmRegistryUrl(env)))]
      : kind === "mirror"
        ? [new DistMirrorSource(settings.nodeMirror)]
        : [],
  );
  return { useCache: settings.order.includes("cache"), remote };
}

/** LTS lines are looked up again after a day; an older list still serves when no source answers. */
const ltsLinesMaxAgeMs = 24 * 60 * 60_000;

/** The LTS lines the sources know, kept beside the cached versions so that `lts/*` works offline once known. */
async function ltsLinesOf(cache: ToolCache, sources: NodeSource[], signal?: AbortSignal): Promise<LtsLine[]> {
  const file = path.join(cache.dir, "node", ".lts-lines.json");
  const saved = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as { fetchedAt: number; lines: LtsLine[] },
    () => undefined,
  );
  if (saved && Date.now() - saved.fetchedAt < ltsLinesMaxAgeMs) return saved.lines;
  const problems: string[] = [];
  for (const source of sources) {
    try {
      const lines = await source.ltsLines(signal);
      if (lines.length === 0) continue;
      await writeFile(file, JSON.stringify({ fetchedAt: Date.now(), lines })).catch(() => undefined);
      return lines;
    } catch (error) {
      problems.push(`${source.description}: ${(error as Error).message}`);
    }
  }
  if (saved) return saved.lines;
  throw new ToolError(
    "TOOL_VERSION_UNAVAILABLE",
    `no source could name the Node LTS lines (${problems.join("; ") || "no source configured"})`,
  );
}

/** The newest version a source has for the spec; undefined when no source answers with one. */
async function newestRemote(
  spec: string,
  arch: string,
  sources: NodeSource[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  for (const source of sources) {
    const versions = await source.versions(arch, signal).catch(() => []);
    const found = pickVersion(spec, versions);
    if (found) return found;
  }
  return undefined;
}

export async function setUpNode(
  request: NodeRequest,
  cache: ToolCache,
  sources: NodeSources,
  options: { signal?: AbortSignal; log?: (text: string) => void } = {},
): Promise<NodeSetUp> {
  const { signal } = options;
  const log = options.log ?? (() => undefined);
  let spec = request.spec.trim();
  if (isLtsAlias(spec)) {
    spec = resolveLtsAlias(spec, await ltsLinesOf(cache, sources.remote, signal));
    log(`Resolved ${request.spec} as ${spec}`);
  }
  if (isLatestAlias(spec) || request.checkLatest) {
    const newest = await newestRemote(spec, request.arch, sources.remote, signal);
    if (newest) {
      log(`Resolved ${spec} as ${newest}`);
      spec = newest;
    } else if (isLatestAlias(spec)) {
      const cached = sources.useCache ? await cache.list("node") : [];
      const newestCached = cached.find((each) => each.arch === request.arch);
      if (!newestCached) throw unavailable(request, cached, ["no source answered with a version"]);
      spec = newestCached.version;
    }
  }
  // Refuses a spec that is no version or range before any source is asked.
  pickVersion(spec, []);
  if (sources.useCache) {
    const found = await cache.find("node", spec, request.arch);
    if (found) return { installed: found };
  }
  const problems: string[] = [];
  for (const source of sources.remote) {
    try {
      const version = pickVersion(spec, await source.versions(request.arch, signal));
      if (!version) {
        problems.push(`${source.description} has none`);
        continue;
      }
      log(`Acquiring ${version} - ${request.arch} from ${source.description}`);
      const installed = await cache.install("node", version, request.arch, (dir) =>
        source.fill(version, request.arch, dir, signal),
      );
      return { installed, downloadedFrom: source.description };
    } catch (error) {
      problems.push(`${source.description}: ${(error as Error).message}`);
    }
  }
  throw unavailable(request, sources.useCache ? await cache.list("node") : [], problems);
}

/** One line: what was asked, what exists, and the command that adds it. */
function unavailable(request: NodeRequest, cached: InstalledTool[], problems: string[]): ToolError {
  const have = cached.filter((each) => each.arch === request.arch).map((each) => each.version);
  return new ToolError(
    "TOOL_VERSION_UNAVAILABLE",
    `Node ${request.spec} (${request.arch}) is not available: the tool cache has ${have.join(", ") || "no Node"}; ` +
      `${problems.join("; ") || "no other source is configured"}. Add it with: ${addCommandFor("node", request.spec)}`,
  );
}
