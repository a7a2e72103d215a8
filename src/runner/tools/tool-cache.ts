// The persistent tool cache every job shares (RUNNER_TOOL_CACHE): actions/toolkit's layout, installs under a lock.
// Only the runner writes here; jobs see it read-only, or on the host through a view of their own (docs/tool-cache.md).
import { randomBytes } from "node:crypto";
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import semver from "semver";
import { ToolError } from "./tool-error.js";

/** One complete install: `<cache>/<tool>/<version>/<arch>` beside its `<arch>.complete` marker. */
export interface InstalledTool {
  tool: string;
  version: string;
  arch: string;
  dir: string;
}

export interface ToolCacheGcReport {
  /** Installs with no `.complete` marker (a crash mid-install) and leftover temp dirs. */
  incomplete: string[];
  /** Installs no job used for longer than asked. */
  unused: InstalledTool[];
}

/** An install holds its lock this long without a heartbeat before another process may take it over. */
const lockStaleMs = 60_000;
const tempMarker = ".tmp-";

/** What @actions/tool-cache names a version's folder: the clean semver, else the string as given. */
export function versionFolder(version: string): string {
  return semver.clean(version) ?? version;
}

/** @actions/tool-cache's `_isExplicitVersion`: a spec that names one version exactly. */
export function isExplicitVersion(spec: string): boolean {
  return semver.valid(semver.clean(spec) ?? "") !== null;
}

export class ToolCache {
  readonly dir: string;
  /** A job's own view of this cache (openView): what find and install give is shown there, by its path. */
  readonly view: string | undefined;

  constructor(dir: string, options: { view?: string } = {}) {
    this.dir = path.resolve(dir);
    this.view = options.view;
  }

  /** Whether a job whose RUNNER_TOOL_CACHE is `dir` sees this cache's installs: the cache itself, or its view. */
  isSeenAt(dir: string): boolean {
    return dir === this.dir || dir === this.view;
  }

  /** The install as the job sees it: through the view, when there is one. */
  private async shown(installed: InstalledTool): Promise<InstalledTool> {
    if (!this.view) return installed;
    return { ...installed, dir: await linkIntoView(this.view, installed) };
  }

  /**
   * Fills an empty directory with a link to every complete install, as a host job's own RUNNER_TOOL_CACHE. On GitHub
   * each job has its tool cache to itself, and workflows use that (actions/setup-node's own tests start with
   * `rm -rf $RUNNER_TOOL_CACHE/*`); in a view that removes the job's links, never installs other jobs are running.
   */
  async openView(view: string): Promise<void> {
    await mkdir(view, { recursive: true });
    for (const installed of await this.list()) await linkIntoView(view, installed);
  }

  /**
   * Moves into the cache what a job installed in its view as @actions/tool-cache's cacheDir does (a real directory
   * beside its marker), so that later jobs and the built-ins find it; a version the cache already has is left.
   */
  async keepViewInstalls(view: string): Promise<InstalledTool[]> {
    const kept: InstalledTool[] = [];
    for (const tool of await directoryNames(view)) {
      for (const version of (await directoryNames(path.join(view, tool))).filter(isExplicitVersion)) {
        for (const arch of await directoryNames(path.join(view, tool, version))) {
          const made = path.join(view, tool, version, arch);
          if (!(await isComplete(made)) || (await lstat(made)).isSymbolicLink()) continue;
          const fill = async (temp: string) =>
            // rename replaces the empty directory install() made; another filesystem needs a copy.
            rename(made, temp).catch(async (error: NodeJS.ErrnoException) => {
              if (error.code !== "EXDEV") throw error;
              await cp(made, temp, { recursive: true, verbatimSymlinks: true });
            });
          kept.push(await this.install(tool, version, arch, fill));
        }
      }
    }
    return kept;
  }

  private installDir(tool: string, version: string, arch: string): string {
    return path.join(this.dir, tool, versionFolder(version), arch);
  }

  /**
   * @actions/tool-cache's `find`: an explicit version is looked up as is; anything else is a semver range matched
   * against the complete installs, highest first. Touches the marker, so that gc knows the install is in use.
   */
  async find(tool: string, versionSpec: string, arch = os.arch()): Promise<InstalledTool | undefined> {
    let version = versionSpec;
    if (!isExplicitVersion(versionSpec)) {
      const installed = (await this.versionsOf(tool, arch)).sort(semver.rcompare);
      const match = installed.find((candidate) => semver.satisfies(candidate, versionSpec));
      if (!match) return undefined;
      version = match;
    }
    const dir = this.installDir(tool, version, arch);
    if (!(await isComplete(dir))) return undefined;
    const now = new Date();
    await utimes(`${dir}.complete`, now, now).catch(() => undefined);
    return this.shown({ tool, version: versionFolder(version), arch, dir });
  }

  /** Every complete install, by tool, then version (highest first), then arch. */
  async list(tool?: string): Promise<InstalledTool[]> {
    const tools = tool ? [tool] : await directoryNames(this.dir);
    const found: InstalledTool[] = [];
    for (const name of tools.sort()) {
      for (const version of (await directoryNames(path.join(this.dir, name)))
        .filter(isExplicitVersion)
        .sort(semver.rcompare)) {
        for (const arch of (await directoryNames(path.join(this.dir, name, version))).sort()) {
          const dir = path.join(this.dir, name, version, arch);
          if (!arch.includes(tempMarker) && (await isComplete(dir)))
            found.push({ tool: name, version, arch, dir });
        }
      }
    }
    return found;
  }

  private async versionsOf(tool: string, arch: string): Promise<string[]> {
    const versions = (await directoryNames(path.join(this.dir, tool))).filter(isExplicitVersion);
    const complete = await Promise.all(
      versions.map((version) => isComplete(path.join(this.dir, tool, version, arch))),
    );
    return versions.filter((_, index) => complete[index]);
  }

  /**
   * Installs one version: `fill` writes the tool into a fresh directory, which becomes the install by one rename,
   * and only then is the `.complete` marker written, so no reader ever sees half an install. Concurrent installs of
   * the same version take turns on a lock; whoever comes second finds the first one's install and keeps it.
   */
  async install(
    tool: string,
    version: string,
    arch: string,
    fill: (dir: string) => Promise<void>,
  ): Promise<InstalledTool> {
    const dir = this.installDir(tool, version, arch);
    const installed = { tool, version: versionFolder(version), arch, dir };
    if (await isComplete(dir)) return this.shown(installed);
    return this.whileLocked(dir, async () => {
      if (await isComplete(dir)) return this.shown(installed);
      const temp = `${path.dirname(dir)}/${tempMarker}${arch}-${randomBytes(6).toString("hex")}`;
      await mkdir(temp, { recursive: true });
      try {
        await fill(temp);
        // Jobs run as other users on isolating executors: the install must be readable by everyone.
        await chmod(temp, 0o755);
        await rm(dir, { recursive: true, force: true });
        await rename(temp, dir);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        if (error instanceof ToolError) throw error;
        throw new ToolError(
          "TOOL_INSTALL_FAILED",
          `cannot install ${tool} ${version} (${arch}) into ${this.dir}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await writeFile(`${dir}.complete`, "");
      return this.shown(installed);
    });
  }

  /** Removes the installs of a version (every arch unless one is named); returns what went. */
  async remove(tool: string, version: string, arch?: string): Promise<InstalledTool[]> {
    const removed = (await this.list(tool)).filter(
      (each) => each.version === versionFolder(version) && (!arch || each.arch === arch),
    );
    for (const each of removed) {
      await this.whileLocked(each.dir, async () => {
        // The marker goes first: a reader never trusts a directory that is half deleted.
        await rm(`${each.dir}.complete`, { force: true });
        await rm(each.dir, { recursive: true, force: true });
      });
    }
    return removed;
  }

  /**
   * Removes what a crashed install left (directories without a marker, temp dirs) unless an install holds their
   * lock, and, with `unusedForMs`, installs no job found for that long.
   */
  async collectGarbage(options: { unusedForMs?: number; now?: number } = {}): Promise<ToolCacheGcReport> {
    const report: ToolCacheGcReport = { incomplete: [], unused: [] };
    for (const tool of await directoryNames(this.dir)) {
      for (const version of await directoryNames(path.join(this.dir, tool))) {
        for (const entry of await directoryNames(path.join(this.dir, tool, version))) {
          // A lock is a directory too (proper-lockfile's); it is its owner's to remove.
          if (entry.endsWith(".lock")) continue;
          const dir = path.join(this.dir, tool, version, entry);
          const target = entry.includes(tempMarker)
            ? path.join(this.dir, tool, version, entry.slice(tempMarker.length).replace(/-[0-9a-f]{12}$/, ""))
            : dir;
          if (!entry.includes(tempMarker) && (await isComplete(dir))) continue;
          if (await lockfile.check(target, { realpath: false, stale: lockStaleMs })) continue;
          await rm(dir, { recursive: true, force: true });
          report.incomplete.push(dir);
        }
      }
    }
    if (options.unusedForMs !== undefined) {
      const cutoff = (options.now ?? Date.now()) - options.unusedForMs;
      for (const install of await this.list()) {
        const lastUsed = (await stat(`${install.dir}.complete`)).mtimeMs;
        if (lastUsed < cutoff)
          report.unused.push(...(await this.remove(install.tool, install.version, install.arch)));
      }
    }
    return report;
  }

  private async whileLocked<T>(dir: string, work: () => Promise<T>): Promise<T> {
    await mkdir(path.dirname(dir), { recursive: true });
    let lost: Error | undefined;
    const release = await lockfile.lock(dir, {
      realpath: false,
      stale: lockStaleMs,
      // An install of Node takes a minute or so on a slow link: wait for it rather than fail.
      retries: { retries: 1000, minTimeout: 50, maxTimeout: 1000 },
      onCompromised: (error) => (lost = error),
    });
    try {
      const result = await work();
      if (lost)
        throw new ToolError("TOOL_INSTALL_FAILED", `lost the tool cache lock on ${dir}: ${lost.message}`);
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }
}

async function isComplete(dir: string): Promise<boolean> {
  const [marker, folder] = await Promise.all([
    stat(`${dir}.complete`).catch(() => undefined),
    stat(dir).catch(() => undefined),
  ]);
  return marker?.isFile() === true && folder?.isDirectory() === true;
}

/** Shows an install in a view as @actions/tool-cache's find expects it (the directory and its marker); gives its path. */
async function linkIntoView(view: string, installed: InstalledTool): Promise<string> {
  const shown = path.join(view, installed.tool, installed.version, installed.arch);
  if (await lstat(shown).catch(() => undefined)) return shown;
  await mkdir(path.dirname(shown), { recursive: true });
  await symlink(installed.dir, shown);
  await writeFile(`${shown}.complete`, "");
  return shown;
}

async function directoryNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}
