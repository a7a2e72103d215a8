// actions/cache restore and save over the blob store: immutable entries keyed by (key, version).
import { createHash } from "node:crypto";
import { mkdir, realpath } from "node:fs/promises";
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

export interface RestoreCacheOptions {
  key: string;
  restoreKeys?: string[];
  /** The action's `path` input: newline-separated paths or globs, `~` for the home directory. */
  paths: string;
  workspace: string;
  /** actions/cache `lookup-only`: report the match without restoring files. */
  lookupOnly?: boolean;
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

function computeEntryId(key: string, version: string): string {
  return createHash("sha256").update(`${version}\0${key}`).digest("hex");
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
    const restoreKeys = (options.restoreKeys ?? []).map((key) => key.trim()).filter((key) => key !== "");
    validateCacheKeys([options.key, ...restoreKeys]);
    const version = computeCacheVersion(options.paths);
    const manifestPath = this.layout.cacheManifestPath(computeEntryId(options.key, version));
    // The exact key is one file read; only a miss pays for scanning every entry.
    const entry =
      (await readManifest<CacheManifest>(manifestPath)) ??
      pickCacheEntry(
        (await this.readAllRecords())
          .map((record) => record.manifest)
          .filter((manifest) => manifest.version === version),
        options.key,
        restoreKeys,
      );
    if (!entry) return { hit: false };
    if (!options.lookupOnly) {
      await this.extract(entry, options.workspace);
      // lastUsedAt drives gc's age and size eviction (GitHub evicts caches not accessed for 7 days).
      await replaceManifest(this.layout, this.layout.cacheManifestPath(computeEntryId(entry.key, version)), {
        ...entry,
        lastUsedAt: this.now().toISOString(),
      });
    }
    return { hit: entry.key === options.key, matchedKey: entry.key };
  }

  async save(options: SaveCacheOptions): Promise<SaveCacheResult> {
    validateCacheKeys([options.key]);
    const version = computeCacheVersion(options.paths);
    const manifestPath = this.layout.cacheManifestPath(computeEntryId(options.key, version));
    const reserved = `Unable to reserve cache with key ${options.key}, another job may be creating this cache.`;
    if (await readManifest<CacheManifest>(manifestPath)) return { saved: false, size: 0, message: reserved };

    const match = await matchFiles(options.workspace, options.paths, { includeHiddenFiles: true });
    if (match.files.length === 0) {
      return {
        saved: false,
        size: 0,
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
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const list = await this.blobs.putBuffer(Buffer.from(JSON.stringify(entries)));
    const createdAt = this.now().toISOString();
    const size = entries.reduce((sum, entry) => sum + entry.size, 0);
    const manifest: CacheManifest = {
      kind: "cache",
      key: options.key,
      version,
      createdAt,
      lastUsedAt: createdAt,
      fileCount: entries.length,
      size,
      filesDigest: list.digest,
    };
    // Two jobs saving one key: the first manifest wins and the loser's blobs become orphans for gc.
    if (!(await createManifest(this.layout, manifestPath, manifest)))
      return { saved: false, size: 0, message: reserved };
    return { saved: true, size };
  }

  readAllRecords(): Promise<Array<ManifestRecord<CacheManifest>>> {
    return readManifestRecords<CacheManifest>(this.layout.cachesDir);
  }

  private async extract(manifest: CacheManifest, workspace: string): Promise<void> {
    const entries = await this.blobs.readJson<CacheFileEntry[]>(manifest.filesDigest);
    const bases = {
      workspace: path.resolve(workspace),
      home: os.homedir(),
      root: path.parse(process.cwd()).root,
    };
    const targets = entries.map((entry) => resolveTargetPath(bases[entry.base], entry.path));
    for (const directory of new Set(targets.map((file) => path.dirname(file)))) {
      await mkdir(directory, { recursive: true });
    }
    await mapConcurrently(entries, fileConcurrency, (entry, index) =>
      this.blobs.copyTo(entry.digest, targets[index]!, entry.mode, entry.size),
    );
  }
}
