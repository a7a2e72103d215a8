// actions/cache restore and save over the blob store: immutable entries keyed by (key, version).
import { createHash } from "node:crypto";
import type { BlobStore } from "./blob-store.js";
import { ContentStoreError } from "./content-store-error.js";
import {
  collectIntoBlobs,
  validateStoredPath,
  writeFromBlobs,
  type AgentBases,
  type JobFileAccess,
} from "./job-file-access.js";
import {
  cacheBases,
  type CacheBase,
  createManifest,
  readManifest,
  readManifestRecords,
  replaceManifest,
  type CacheFileEntry,
  type CacheManifest,
  type ManifestRecord,
} from "./manifest.js";
import { pickCacheEntry } from "./pick-cache-entry.js";
import type { StoreLayout } from "./store-layout.js";
import { validateCacheKeys } from "./validate-inputs.js";

/** The job's directories that are cache bases by the runner's paths; home and /tmp are found inside the job. */
export interface CacheDirectories {
  workspace: string;
  temp: string;
  toolCache: string;
}

/** Where a job's cache files are read and written: inside the job, with its rights. */
export interface CacheFiles {
  files: JobFileAccess;
  dirs: CacheDirectories;
}

export interface RestoreCacheOptions extends CacheFiles {
  key: string;
  restoreKeys?: string[];
  /** The action's `path` input: newline-separated paths or globs, `~` for the home directory. */
  paths: string;
  /** actions/cache `lookup-only`: report the match without restoring files. */
  lookupOnly?: boolean;
}

/**
 * Which entry a restore asks for. On a shared store `scopes` are the ones the run may read, searched in order
 * (resolveCacheScopes); without them only unscoped entries match, as a local store keeps them.
 */
export interface CacheLookup {
  key: string;
  restoreKeys: string[];
  version: string;
  scopes?: readonly string[];
}

/** A cache entry as a store commits it: the bytes are already in the committing store's blobs. */
export interface CacheCommit {
  key: string;
  version: string;
  /** The run's write scope on a shared store (resolveCacheScopes); absent in a local store. */
  scope?: string;
  entries: CacheFileEntry[];
}

export interface RestoreCacheResult {
  /** actions/cache `cache-hit`: true only for an exact match of the primary key. */
  hit: boolean;
  /** actions/cache `cache-matched-key`: the key restored, exact or by prefix. */
  matchedKey?: string;
}

export interface SaveCacheOptions extends CacheFiles {
  key: string;
  paths: string;
}

export interface SaveCacheResult {
  saved: boolean;
  size: number;
  /** Why nothing was saved, worded as actions/cache logs it (a warning, never a step failure). */
  message?: string;
}

/**
 * actions/cache getCacheVersion: a hash of the path input (and compression), so a cache saved for
 * other paths is never restored; ours adds hangar's storage format instead of a compression name.
 */
export function computeCacheVersion(paths: string): string {
  const lines = paths
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return createHash("sha256")
    .update([...lines, "hangar-files", "1.0"].join("|"))
    .digest("hex");
}

/** Unscoped ids are what local stores always used, so their existing entries keep matching. */
export function computeCacheEntryId(entry: { key: string; version: string; scope?: string }): string {
  const scope = entry.scope === undefined ? "" : `${entry.scope}\0`;
  return createHash("sha256").update(`${scope}${entry.version}\0${entry.key}`).digest("hex");
}

/** actions/cache trims restore-keys and drops empty lines. */
export function normalizeRestoreKeys(restoreKeys: readonly string[] | undefined): string[] {
  return (restoreKeys ?? []).map((key) => key.trim()).filter((key) => key !== "");
}

/** Logged (as a warning) when the key already has an entry: caches are immutable, as on GitHub. */
export function cacheReservedMessage(key: string): string {
  return `Unable to reserve cache with key ${key}, another job may be creating this cache.`;
}

function basesOf(dirs: CacheDirectories): AgentBases {
  return { workspace: dirs.workspace, temp: dirs.temp, "tool-cache": dirs.toolCache };
}

function isCacheBase(name: string | undefined): name is CacheBase {
  return (cacheBases as readonly (string | undefined)[]).includes(name);
}

export class CacheStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
    private readonly now: () => Date,
  ) {}

  async restore(options: RestoreCacheOptions): Promise<RestoreCacheResult> {
    const restoreKeys = normalizeRestoreKeys(options.restoreKeys);
    validateCacheKeys([options.key, ...restoreKeys]);
    const entry = await this.lookup({
      key: options.key,
      restoreKeys,
      version: computeCacheVersion(options.paths),
    });
    if (!entry) return { hit: false };
    if (!options.lookupOnly) {
      await this.extract(await this.readEntries(entry), options);
      await this.markUsed(entry);
    }
    return { hit: entry.key === options.key, matchedKey: entry.key };
  }

  /**
   * The entry a restore uses, among entries of the same version. Docs "Dependency caching reference", Cache key
   * matching: the key and every restore-key are searched in the first scope before the next scope is tried, so a
   * prefix match in the run's own scope wins over an exact key in the default branch's.
   */
  async lookup(lookup: CacheLookup): Promise<CacheManifest | undefined> {
    const { key, version, restoreKeys } = lookup;
    let sameVersion: CacheManifest[] | undefined;
    for (const scope of lookup.scopes ?? [undefined]) {
      // The exact key is one file read; only a miss pays for scanning every entry, once for all scopes.
      const exact = await this.read(computeCacheEntryId({ key, version, scope }));
      if (exact) return exact;
      sameVersion ??= (await this.readAllRecords())
        .map((record) => record.manifest)
        .filter((manifest) => manifest.version === version);
      const picked = pickCacheEntry(
        sameVersion.filter((manifest) => manifest.scope === scope),
        key,
        restoreKeys,
      );
      if (picked) return picked;
    }
    return undefined;
  }

  /** The entry with this id (computeCacheEntryId), if it exists. */
  read(entryId: string): Promise<CacheManifest | undefined> {
    return readManifest<CacheManifest>(this.layout.cacheManifestPath(entryId));
  }

  /** lastUsedAt drives gc's age and size eviction (GitHub evicts caches not accessed for 7 days). */
  async markUsed(entry: CacheManifest): Promise<void> {
    await replaceManifest(this.layout, this.layout.cacheManifestPath(computeCacheEntryId(entry)), {
      ...entry,
      lastUsedAt: this.now().toISOString(),
    });
  }

  async save(options: SaveCacheOptions): Promise<SaveCacheResult> {
    validateCacheKeys([options.key]);
    const version = computeCacheVersion(options.paths);
    if (await this.read(computeCacheEntryId({ key: options.key, version }))) {
      return { saved: false, size: 0, message: cacheReservedMessage(options.key) };
    }
    const collected = await this.collect(options);
    if ("message" in collected) return { saved: false, size: 0, message: collected.message };
    return this.commit({ key: options.key, version, entries: collected.entries });
  }

  /**
   * Matches the path input and stores each file's bytes in this store's blobs: the first half of a save, which a
   * runner does locally before sending the missing blobs and the entries to the server.
   */
  async collect(options: SaveCacheOptions): Promise<{ entries: CacheFileEntry[] } | { message: string }> {
    const { collected } = await collectIntoBlobs(options.files, this.blobs, {
      patterns: options.paths,
      cwd: options.dirs.workspace,
      followSymbolicLinks: true,
      implicitDescendants: true,
      excludeHiddenFiles: false,
      bases: basesOf(options.dirs),
    });
    if (collected.length === 0) {
      return {
        message:
          "Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.",
      };
    }
    const entries: CacheFileEntry[] = [];
    for (const { entry, digest, size } of collected) {
      if (!isCacheBase(entry.base)) {
        return {
          message:
            `Path Validation Error: ${entry.absolute ?? entry.path} is outside the job's directories, hence no cache is being saved. ` +
            "hangar caches files under the workspace, the home directory, /tmp and the runner's temp and tool cache directories.",
        };
      }
      validateStoredPath(entry.path);
      entries.push({ base: entry.base, path: entry.path, mode: entry.mode & 0o7777, size, digest });
    }
    return { entries };
  }

  /** Creates the entry from files whose blobs this store holds; an existing key is left as it is. */
  async commit(commit: CacheCommit): Promise<SaveCacheResult> {
    validateCacheKeys([commit.key]);
    const entries = [...commit.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const list = await this.blobs.putBuffer(Buffer.from(JSON.stringify(entries)));
    const createdAt = this.now().toISOString();
    const size = entries.reduce((sum, entry) => sum + entry.size, 0);
    const manifest: CacheManifest = {
      kind: "cache",
      key: commit.key,
      version: commit.version,
      ...(commit.scope === undefined ? {} : { scope: commit.scope }),
      createdAt,
      lastUsedAt: createdAt,
      fileCount: entries.length,
      size,
      filesDigest: list.digest,
    };
    // Two jobs saving one key: the first manifest wins and the loser's blobs become orphans for gc.
    const manifestPath = this.layout.cacheManifestPath(computeCacheEntryId(commit));
    if (!(await createManifest(this.layout, manifestPath, manifest)))
      return { saved: false, size: 0, message: cacheReservedMessage(commit.key) };
    return { saved: true, size };
  }

  readAllRecords(): Promise<Array<ManifestRecord<CacheManifest>>> {
    return readManifestRecords<CacheManifest>(this.layout.cachesDir);
  }

  readEntries(manifest: CacheManifest): Promise<CacheFileEntry[]> {
    return this.blobs.readJson<CacheFileEntry[]>(manifest.filesDigest);
  }

  /** Writes each file below its base's directory inside the job, as the job. */
  extract(entries: readonly CacheFileEntry[], job: CacheFiles): Promise<void> {
    for (const entry of entries) {
      if (!isCacheBase(entry.base)) {
        throw new ContentStoreError(
          "STORE_MANIFEST_INVALID",
          `A cache file names an unknown base '${entry.base}'.`,
        );
      }
    }
    return writeFromBlobs(
      job.files,
      this.blobs,
      { target: job.dirs.workspace, bases: basesOf(job.dirs), replace: false },
      entries,
    );
  }
}
