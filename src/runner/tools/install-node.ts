// Finds or installs the Node a setup-node step (or `hangar tools add node`) asks for, in actions/setup-node's
// order: resolve LTS and latest aliases, then (as for every tool) check-latest, the tool cache, each configured source.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DistMirrorSource, NpmRegistrySource, npmRegistryUrl, type NodeSource } from "./node-sources.js";
import { isLatestAlias, isLtsAlias, pickVersion, resolveLtsAlias, type LtsLine } from "./node-version.js";
import semver from "semver";
import type { ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";
import {
  addCommandFor,
  cachedVersions,
  newestAnywhere,
  setUpTool,
  type ToolKind,
  type ToolLog,
  type ToolRequest,
  type ToolSetUp,
} from "./tool-install.js";
import type { ToolSourceSettings } from "./tool-sources.js";

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

/** Node's versions as setup-node matches them (pickVersion) in the tool cache's `node/<version>/<arch>` layout. */
const nodeKind: ToolKind = {
  tool: "node",
  label: "Node",
  addName: "node",
  satisfies: (spec, version) => pickVersion(spec, [version]) === version,
  compare: semver.compare,
  folderOf: (version) => version,
  versionOf: (folder) => folder,
};

/** Resolves the LTS and latest aliases, then finds or installs the version as setup-go and setup-java do. */
export async function setUpNode(
  request: ToolRequest,
  cache: ToolCache,
  sources: NodeSources,
  options: { signal?: AbortSignal; log?: ToolLog } = {},
): Promise<ToolSetUp> {
  const { signal } = options;
  let spec = request.spec.trim();
  if (isLtsAlias(spec)) {
    spec = resolveLtsAlias(spec, await ltsLinesOf(cache, sources.remote, signal));
    options.log?.(`Resolved ${request.spec} as ${spec}`);
  }
  if (isLatestAlias(spec)) {
    const newest =
      (await newestAnywhere(nodeKind, { ...request, spec }, sources.remote, signal)) ??
      (sources.useCache ? pickVersion(spec, await cachedVersions(nodeKind, cache, request.arch)) : undefined);
    if (!newest) {
      throw new ToolError(
        "TOOL_VERSION_UNAVAILABLE",
        `Node ${request.spec} (${request.arch}) is not available: no source answered with a version and the tool cache has none. Add it with: ${addCommandFor("node", "VERSION")}`,
      );
    }
    options.log?.(`Resolved ${spec} as ${newest}`);
    spec = newest;
  }
  // Refuses a spec that is no version or range before any source is asked.
  pickVersion(spec, []);
  return setUpTool(nodeKind, { ...request, spec }, cache, sources, options);
}
