// Where Node versions come from besides the tool cache: the npm registry's per-platform binary packages and any
// mirror shaped like nodejs.org/dist. Each lists versions, names LTS lines and fills a tool cache directory.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import {
  digestFromIntegrity,
  downloadAndUnpack,
  fetchJson,
  fetchText,
  HttpMirrorSource,
  keptUntilFailure,
} from "./download.js";
import type { LtsLine } from "./node-version.js";
import { ToolError } from "./tool-error.js";

export interface NodeSource {
  /** For messages: e.g. "the npm registry https://registry.npmjs.org/". */
  readonly description: string;
  /** Every version this source has for `arch` (as `x.y.z`). */
  versions(arch: string, signal?: AbortSignal): Promise<string[]>;
  ltsLines(signal?: AbortSignal): Promise<LtsLine[]>;
  /** Writes Node `version` for `arch` into `dir` in the layout of nodejs.org's archives (bin/node, bin/npm ...). */
  fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void>;
}

/** setup-node's translateArchToDistUrl: Node's `arm` is called armv7l in file and package names. */
export function distArch(arch: string): string {
  return arch === "arm" ? "armv7l" : arch;
}

interface Packument {
  "dist-tags"?: Record<string, string>;
  versions?: Record<
    string,
    {
      version: string;
      engines?: { node?: string };
      dist?: { tarball?: string; integrity?: string; shasum?: string };
    }
  >;
}

/** npm's abbreviated metadata where the registry serves it; a registry that ignores the header sends the full one. */
const abbreviatedMetadata = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";

/**
 * The registry `npm` itself would use: NPM_CONFIG_REGISTRY (any case), else `npm config get registry` (which reads
 * every .npmrc), else npm's default. Asked once per process, and only when something must be downloaded.
 */
let configuredRegistry: Promise<string> | undefined;
export function npmRegistryUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env["NPM_CONFIG_REGISTRY"] ?? env["npm_config_registry"];
  if (fromEnv) return Promise.resolve(withSlash(fromEnv));
  configuredRegistry ??= promisify(execFile)("npm", ["config", "get", "registry"], { timeout: 10_000 }).then(
    ({ stdout }) => withSlash(stdout.trim() || "https://registry.npmjs.org/"),
    () => "https://registry.npmjs.org/",
  );
  return configuredRegistry;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/** Downloads an npm tarball (integrity checked) and unpacks its `package/` into `dir`. */
async function unpackPackage(
  version: Packument["versions"] extends Record<string, infer V> | undefined ? V : never,
  name: string,
  dir: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const digest = digestFromIntegrity(version.dist?.integrity, version.dist?.shasum);
  if (!version.dist?.tarball || !digest) {
    throw new ToolError("TOOL_DOWNLOAD_FAILED", `${name}@${version.version} has no tarball with a checksum`);
  }
  await downloadAndUnpack(version.dist.tarball, digest, dir, signal);
}

/**
 * The npm registry's `node-<platform>-<arch>` packages: Node's official binaries, one package version per release.
 * They hold node alone, so npm comes from the registry's `npm` package: its newest release whose `engines.node`
 * accepts this Node (the registry says nothing about which npm a release bundled).
 * LTS names are not in these packages; they come from `node-releases` (browserslist's, republished as Node
 * releases), whose release-schedule.json gives each line's codename and the day it became LTS.
 */
export class NpmRegistrySource implements NodeSource {
  private readonly packuments = new Map<string, Promise<Packument | undefined>>();

  constructor(
    private readonly registry: () => Promise<string>,
    private readonly platform: string = os.platform(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  get description(): string {
    return "the npm registry";
  }

  private packument(name: string, signal?: AbortSignal): Promise<Packument | undefined> {
    let found = this.packuments.get(name);
    if (!found) {
      found = this.registry().then((registry) =>
        fetchJson<Packument>(`${registry}${name}`, signal, abbreviatedMetadata),
      );
      found.catch(() => this.packuments.delete(name));
      this.packuments.set(name, found);
    }
    return found;
  }

  private packageName(arch: string): string {
    return `node-${this.platform}-${distArch(arch)}`;
  }

  async versions(arch: string, signal?: AbortSignal): Promise<string[]> {
    const packument = await this.packument(this.packageName(arch), signal);
    return Object.keys(packument?.versions ?? {})
      .map((each) => semver.clean(each))
      .filter((each): each is string => each !== null);
  }

  async ltsLines(signal?: AbortSignal): Promise<LtsLine[]> {
    const packument = await this.packument("node-releases", signal);
    const latest = packument?.versions?.[packument["dist-tags"]?.["latest"] ?? ""];
    if (!latest) throw new ToolError("TOOL_DOWNLOAD_FAILED", "the npm registry has no node-releases package");
    const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-node-releases-"));
    try {
      await unpackPackage(latest, "node-releases", dir, signal);
      const schedule = JSON.parse(
        await readFile(path.join(dir, "data", "release-schedule", "release-schedule.json"), "utf8"),
      ) as Record<string, { lts?: string; codename?: string }>;
      const today = this.now().toISOString().slice(0, 10);
      return Object.entries(schedule)
        .filter(([, line]) => line.codename && line.lts && line.lts <= today)
        .map(([name, line]) => ({ major: Number(name.replace(/^v/, "")), codename: line.codename! }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void> {
    const name = this.packageName(arch);
    const packument = await this.packument(name, signal);
    const entry = Object.values(packument?.versions ?? {}).find(
      (each) => semver.clean(each.version) === version,
    );
    if (!entry) throw new ToolError("TOOL_VERSION_UNAVAILABLE", `the npm registry has no ${name}@${version}`);
    await unpackPackage(entry, name, dir, signal);
    const npm = await this.packument("npm", signal);
    const npmRelease = Object.values(npm?.versions ?? {})
      .filter(
        (each) => !semver.prerelease(each.version) && semver.satisfies(version, each.engines?.node ?? "*"),
      )
      .sort((a, b) => semver.rcompare(a.version, b.version))[0];
    if (!npmRelease) return;
    await unpackPackage(npmRelease, "npm", path.join(dir, "lib", "node_modules", "npm"), signal);
    // The links nodejs.org's archives have in bin/.
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", path.join(dir, "bin", "npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", path.join(dir, "bin", "npx"));
  }
}

interface DistIndexEntry {
  version: string;
  files: string[];
  lts: string | false;
}

/**
 * A mirror shaped like nodejs.org/dist (setup-node's `mirror` input, with `/dist`): `index.json` lists releases with
 * their files and LTS names; `vX.Y.Z/node-vX.Y.Z-<platform>-<arch>.tar.gz` is checked against `SHASUMS256.txt`.
 */
export class DistMirrorSource extends HttpMirrorSource implements NodeSource {
  constructor(baseUrl: string, platform?: string) {
    super("Node mirror", baseUrl, platform);
  }

  private readonly entries = keptUntilFailure(
    async (signal) => (await fetchJson<DistIndexEntry[]>(`${this.baseUrl}/index.json`, signal)) ?? [],
  );

  async versions(arch: string, signal?: AbortSignal): Promise<string[]> {
    // setup-node's getDistFileName: the index names each release's builds as <platform>-<arch>.
    const build = `${this.platform === "darwin" ? "osx" : this.platform}-${distArch(arch)}${this.platform === "darwin" ? "-tar" : ""}`;
    return (await this.entries(signal))
      .filter((entry) => entry.files.includes(build))
      .map((entry) => semver.clean(entry.version))
      .filter((each): each is string => each !== null);
  }

  async ltsLines(signal?: AbortSignal): Promise<LtsLine[]> {
    const lines = new Map<number, string>();
    for (const entry of await this.entries(signal)) {
      const major = semver.major(semver.clean(entry.version) ?? "0.0.0");
      if (entry.lts && !lines.has(major)) lines.set(major, entry.lts);
    }
    return [...lines].map(([major, codename]) => ({ major, codename }));
  }

  async fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void> {
    const fileName = `node-v${version}-${this.platform}-${distArch(arch)}.tar.gz`;
    const sums = await fetchText(`${this.baseUrl}/v${version}/SHASUMS256.txt`, signal);
    const sum = sums
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .find(([, name]) => name === fileName)?.[0];
    if (!sum) {
      throw new ToolError(
        "TOOL_INTEGRITY_MISMATCH",
        `${this.baseUrl}/v${version}/SHASUMS256.txt does not list ${fileName}`,
      );
    }
    await downloadAndUnpack(
      `${this.baseUrl}/v${version}/${fileName}`,
      { algorithm: "sha256", encoding: "hex", value: sum },
      dir,
      signal,
    );
  }
}
