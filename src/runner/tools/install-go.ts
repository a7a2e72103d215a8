// Finds or installs the Go a setup-go step (or `hangar tools add go`) asks for, in actions/setup-go's order: resolve
// stable/oldstable, check-latest, the tool cache, then each configured source.
import { GoDistMirrorSource, HostGoSource } from "./go-sources.js";
import { checkGoSpec, goKind, isStableAlias, resolveStableAlias } from "./go-version.js";
import type { ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";
import {
  cachedVersions,
  setUpTool,
  type ToolLog,
  type ToolRequest,
  type ToolSetUp,
  type ToolSource,
  type ToolSources,
} from "./tool-install.js";
import { defaultGoMirror, type ToolSourceSettings } from "./tool-sources.js";

/** The sources `settings` name, in their order (the cache is always asked first). */
export function goSourcesFor(settings: ToolSourceSettings): ToolSources {
  const remote = settings.order.flatMap((kind): ToolSource[] =>
    kind === "host"
      ? [new HostGoSource()]
      : kind === "mirror"
        ? [new GoDistMirrorSource(settings.goMirror ?? defaultGoMirror)]
        : [],
  );
  return { useCache: settings.order.includes("cache"), remote };
}

/**
 * setup-go resolves stable and oldstable from its release listing; here from the first source that lists releases,
 * else (offline) from the cached versions, as setup-node does for `latest`.
 */
async function resolveAlias(
  alias: "stable" | "oldstable",
  request: ToolRequest,
  cache: ToolCache,
  sources: ToolSources,
  signal?: AbortSignal,
): Promise<string> {
  for (const source of sources.remote.filter((each) => each instanceof GoDistMirrorSource)) {
    const versions = await source.versions(request.arch, signal).catch(() => []);
    const found = resolveStableAlias(alias, versions);
    if (found) return found;
  }
  const found = resolveStableAlias(
    alias,
    sources.useCache ? await cachedVersions(goKind, cache, request.arch) : [],
  );
  if (!found) {
    throw new ToolError(
      "TOOL_VERSION_UNAVAILABLE",
      `Unable to find Go version '${alias}' for ${request.arch}: no Go mirror answered and the tool cache has no release`,
    );
  }
  return found;
}

export async function setUpGo(
  request: ToolRequest,
  cache: ToolCache,
  sources: ToolSources,
  options: { signal?: AbortSignal; log?: ToolLog } = {},
): Promise<ToolSetUp> {
  const spec = request.spec.trim();
  if (isStableAlias(spec)) {
    const version = await resolveAlias(spec, request, cache, sources, options.signal);
    options.log?.(`${spec} version resolved as ${version}`);
    return setUpTool(goKind, { ...request, spec: version }, cache, sources, options);
  }
  checkGoSpec(spec);
  return setUpTool(goKind, { ...request, spec }, cache, sources, options);
}
