// Finds or installs the Python a setup-python step (or `hangar tools add python`) asks for, in actions/setup-python's
// order: check-latest, the tool cache (`Python/<version>/<arch>`, `PyPy/<python version>/<arch>`), then each source.
import { readFile } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import {
  HostPythonSource,
  StandaloneMirrorSource,
  pypyVersionFile,
  type PythonBuild,
  type PythonSource,
} from "./python-sources.js";
import { freethreadedArch, type PythonSpec } from "./python-version.js";
import type { InstalledTool, ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";
import { defaultPythonMirror, type ToolSourceSettings } from "./tool-sources.js";

export interface PythonRequest {
  spec: PythonSpec;
  /** setup-python's names: x64, x86, arm64. */
  arch: string;
  checkLatest: boolean;
}

export interface PythonSetUp {
  installed: InstalledTool;
  /** PyPy's own version, for a PyPy. */
  pypyVersion?: string;
  /** Absent when the tool cache had it. */
  from?: string;
}

export interface PythonSources {
  /** Whether the tool cache answers first. */
  useCache: boolean;
  others: PythonSource[];
}

/** The sources `settings` name, in their order (`npm` has no Pythons). */
export function pythonSourcesFor(settings: ToolSourceSettings): PythonSources {
  const others = settings.order.flatMap((kind): PythonSource[] =>
    kind === "host"
      ? [new HostPythonSource()]
      : kind === "mirror"
        ? [new StandaloneMirrorSource(settings.pythonMirror ?? defaultPythonMirror)]
        : [],
  );
  return { useCache: settings.order.includes("cache"), others };
}

function fits(build: PythonBuild, spec: PythonSpec, range: string): boolean {
  if (build.tool !== spec.tool || !semver.satisfies(build.version, range)) return false;
  return (
    spec.tool !== "PyPy" ||
    (build.pypyVersion !== undefined && semver.satisfies(build.pypyVersion, spec.pypyRange))
  );
}

/** The best fit: highest Python version, then highest PyPy version. */
function best(builds: PythonBuild[], spec: PythonSpec, range: string): PythonBuild | undefined {
  return builds
    .filter((build) => fits(build, spec, range))
    .sort(
      (a, b) =>
        semver.rcompare(a.version, b.version) ||
        semver.rcompare(a.pypyVersion ?? "0.0.0", b.pypyVersion ?? "0.0.0"),
    )[0];
}

/** The tool cache's installs of the spec's tool for `arch`, with PyPy's version read from PYPY_VERSION. */
async function cachedBuilds(cache: ToolCache, spec: PythonSpec, arch: string): Promise<PythonBuild[]> {
  const installs = (await cache.list(spec.tool)).filter((each) => each.arch === arch);
  return Promise.all(
    installs.map(async (each) => {
      const pypyVersion =
        spec.tool === "PyPy"
          ? (await readFile(path.join(each.dir, pypyVersionFile), "utf8").catch(() => "")).trim()
          : "";
      return { tool: spec.tool, version: each.version, arch, ...(pypyVersion ? { pypyVersion } : {}) };
    }),
  );
}

export async function setUpPython(
  request: PythonRequest,
  cache: ToolCache,
  sources: PythonSources,
  options: { signal?: AbortSignal; log?: (text: string) => void } = {},
): Promise<PythonSetUp> {
  const { spec } = request;
  const arch = spec.tool === "Python" && spec.freethreaded ? freethreadedArch(request.arch) : request.arch;
  const { signal } = options;
  const log = options.log ?? (() => undefined);
  let range = spec.range;
  const listed = new Map<PythonSource, PythonBuild[]>();
  const problems = new Map<PythonSource, string>();
  const buildsOf = async (source: PythonSource): Promise<PythonBuild[]> => {
    if (!listed.has(source) && !problems.has(source)) {
      try {
        listed.set(source, await source.builds(arch, signal));
      } catch (error) {
        problems.set(source, (error as Error).message);
      }
    }
    return listed.get(source) ?? [];
  };
  if (request.checkLatest) {
    const newest = best((await Promise.all(sources.others.map(buildsOf))).flat(), spec, range);
    if (newest) {
      range = newest.version;
      log(`Resolved as '${range}'`);
    } else log(`Failed to resolve version ${range} from the sources`);
  }
  if (sources.useCache) {
    const found = best(await cachedBuilds(cache, spec, arch), spec, range);
    const installed = found && (await cache.find(spec.tool, found.version, arch));
    if (installed) return { installed, ...(found.pypyVersion ? { pypyVersion: found.pypyVersion } : {}) };
    log(`Version ${range} was not found in the local cache`);
  }
  for (const source of sources.others) {
    const build = best(await buildsOf(source), spec, range);
    if (!build) continue;
    log(`Acquiring ${spec.tool} ${build.version} (${arch}) from ${source.description}`);
    try {
      const installed = await cache.install(spec.tool, build.version, arch, (dir) =>
        source.fill(build, dir, signal),
      );
      return {
        installed,
        from: source.description,
        ...(build.pypyVersion ? { pypyVersion: build.pypyVersion } : {}),
      };
    } catch (error) {
      problems.set(source, (error as Error).message);
    }
  }
  const cached = sources.useCache ? await cachedBuilds(cache, spec, arch) : [];
  const said = sources.others.map((source) => {
    const problem = problems.get(source);
    if (problem) return `${source.description}: ${problem}`;
    const versions = (listed.get(source) ?? []).filter((each) => each.tool === spec.tool).map(describe);
    return `${source.description}: ${versions.join(", ") || "none"}`;
  });
  const addable = /^[\w.*^~<>=| -]+$/.test(spec.given) ? spec.given : "VERSION";
  throw new ToolError(
    "TOOL_VERSION_UNAVAILABLE",
    `${spec.tool} ${spec.given} (${arch}) is not available: the tool cache has ${
      cached.map(describe).join(", ") || `no ${spec.tool}`
    }; ${said.join("; ") || "no other source is configured"}. Add it with: hangar tools add python ${
      addable.includes(" ") ? `'${addable}'` : addable
    }`,
  );
}

function describe(build: PythonBuild): string {
  return build.pypyVersion ? `${build.version} (PyPy ${build.pypyVersion})` : build.version;
}
