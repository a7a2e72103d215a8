// actions/cache restore and save over the blob store: immutable entries keyed by (key, version).
import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BlobStore } from "./blob-store.js";
import { fileConcurrency, mapConcurrently } from "./map-concurrently.js";
import { matchFiles } from "./match-files.js";
import {
  createManifest,
  readManifest,
  readManifestRecords,
  replaceManifest,
  type CacheFileEntry,
  type CacheManifest,
  type ManifestRecord,
} from "./manifest.js";
import { pickCacheEntry } from "./pick-cache-entry.js";
import { resolveTargetPath } from "./resolve-target-path.js";
import type { StoreLayout } from "./store-layout.js";
import { validateCacheKeys } from "./validate-inputs.js";
import { writeFiles } from "./write-files.js";

export interface RestoreCacheOptions {
  key: string;
  restoreKeys?: string[];
  /** The action's `path` input: newline-separated paths or globs, `~` for the home directory. */
  paths: string;
  workspace: string;
  /** actions/cache `lookup-only`: report the match without restoring files. */
  lookupOnly?: boolean;
}

/** Which entry a restore asks for; `scope` keeps one repository's caches from another's on a shared store. */
export interface CacheLookup {
  key: string;
  restoreKeys: string[];
  version: string;
  scope?: string;
}

/** A cache entry as a store commits it: the bytes are already in the committing store's blobs. */
export interface CacheCommit {
  key: string;
  version: string;
  scope?: string;
  entries: CacheFileEntry[];
}

export interface RestoreCacheResult {
  /** actions/cache `cache-hit`: true only for an exact match of the primary key. */
  hit: boolean;
  /** actions/cache `cache-matched-key`: the key restored, exact or by prefix. */
  matchedKey?: string;
}

export interface SaveCacheOptions {
  key: string;
  paths: string;
  workspace: string;
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

function splitPath(value: string): string {
  return value.split(path.sep).join("/");
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
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
      await this.extract(await this.readEntries(entry), options.workspace);
      await this.markUsed(entry);
    }
    return { hit: entry.key === options.key, matchedKey: entry.key };
  }

  /** The entry a restore uses, per GitHub's matching rules, among entries of the same version and scope. */
  async lookup(lookup: CacheLookup): Promise<CacheManifest | undefined> {
    // The exact key is one file read; only a miss pays for scanning every entry.
    const exact = await this.read(computeCacheEntryId(lookup));
    if (exact) return exact;
    return pickCacheEntry(
      (await this.readAllRecords())
        .map((record) => record.manifest)
        .filter((manifest) => manifest.version === lookup.version && manifest.scope === lookup.scope),
      lookup.key,
      lookup.restoreKeys,
    );
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
    const match = await matchFiles(options.workspace, options.paths, { includeHiddenFiles: true });
    if (match.files.length === 0) {
      return {
        message:
          "Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.",
      };
    }
    // Real paths: @actions/glob reports paths under the child's resolved cwd.
    const workspace = await realpath(options.workspace);
    const home = await realpath(os.homedir()).catch(() => os.homedir());
    const entries = await mapConcurrently(
      match.files,
      fileConcurrency,
      async (file): Promise<CacheFileEntry> => {
        const blob = await this.blobs.putFile(file.path);
        const stored = { mode: file.mode, size: blob.size, digest: blob.digest };
        if (isInside(workspace, file.path)) {
          return { base: "workspace", path: splitPath(path.relative(workspace, file.path)), ...stored };
        }
        if (isInside(home, file.path))
          return { base: "home", path: splitPath(path.relative(home, file.path)), ...stored };
        return {
          base: "root",
          path: splitPath(path.relative(path.parse(file.path).root, file.path)),
          ...stored,
        };
      },
    );
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

  extract(entries: readonly CacheFileEntry[], workspace: string): Promise<void> {
    const bases = {
      workspace: path.resolve(workspace),
      home: os.homedir(),
      root: path.parse(process.cwd()).root,
    };
    return writeFiles(
      this.blobs,
      entries,
      entries.map((entry) => resolveTargetPath(bases[entry.base], entry.path)),
    );
  }
}
