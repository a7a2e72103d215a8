// ContentStore: the artifact and cache store the built-in upload/download-artifact and cache actions use.
import path from "node:path";
import type { Readable } from "node:stream";
import {
  ArtifactStore,
  type ArtifactCommit,
  type ArtifactInfo,
  type DownloadArtifactOptions,
  type DownloadResult,
  type UploadArtifactOptions,
  type UploadResult,
} from "./artifact-store.js";
import { BlobStore, type StoredBlob } from "./blob-store.js";
import {
  CacheStore,
  type CacheCommit,
  type CacheFiles,
  type CacheLookup,
  type RestoreCacheOptions,
  type RestoreCacheResult,
  type SaveCacheOptions,
  type SaveCacheResult,
} from "./cache-store.js";
import type { ArtifactManifest, CacheFileEntry, CacheManifest, FileEntry } from "./manifest.js";
import type { JobFileAccess } from "./job-file-access.js";
import { collectGarbage, type GcOptions, type GcReport } from "./collect-garbage.js";
import { StoreLayout } from "./store-layout.js";

export interface ContentStoreOptions {
  dataDir: string;
  /** The clock for created, expiry and last-used times; tests pass one instead of sleeping. */
  now?: () => Date;
}

export interface StoreUsage {
  artifacts: { count: number; bytes: number };
  caches: { count: number; bytes: number };
  blobs: { count: number; bytes: number };
}

/**
 * What the built-in artifact and cache actions use: this machine's store for `hangar run`, the server's
 * (over the runner protocol) for a job a runner claimed from a server.
 */
export interface ArtifactsAndCaches {
  uploadArtifact(options: UploadArtifactOptions): Promise<UploadResult>;
  downloadArtifact(options: DownloadArtifactOptions): Promise<DownloadResult>;
  restoreCache(options: RestoreCacheOptions): Promise<RestoreCacheResult>;
  saveCache(options: SaveCacheOptions): Promise<SaveCacheResult>;
}

/**
 * Safe to share between parallel jobs and processes on one data directory: blobs and manifests
 * are written to temp files and renamed (or linked) into place, so no reader sees a partial write.
 * The methods after the four actions split each action into the half done where the files are (collect,
 * extract) and the half done where the manifests are (commit, lookup), for stores that live on a server.
 */
export class ContentStore implements ArtifactsAndCaches {
  readonly dataDir: string;
  private readonly now: () => Date;
  private readonly layout: StoreLayout;
  private readonly blobs: BlobStore;
  private readonly artifacts: ArtifactStore;
  private readonly caches: CacheStore;

  constructor(options: ContentStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.now = options.now ?? (() => new Date());
    this.layout = new StoreLayout(this.dataDir);
    this.blobs = new BlobStore(this.layout);
    this.artifacts = new ArtifactStore(this.layout, this.blobs, this.now);
    this.caches = new CacheStore(this.layout, this.blobs, this.now);
  }

  uploadArtifact(options: UploadArtifactOptions): Promise<UploadResult> {
    return this.artifacts.upload(options);
  }

  downloadArtifact(options: DownloadArtifactOptions): Promise<DownloadResult> {
    return this.artifacts.download(options);
  }

  listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return this.artifacts.list(runId);
  }

  restoreCache(options: RestoreCacheOptions): Promise<RestoreCacheResult> {
    return this.caches.restore(options);
  }

  saveCache(options: SaveCacheOptions): Promise<SaveCacheResult> {
    return this.caches.save(options);
  }

  collectArtifact(options: UploadArtifactOptions): Promise<{ entries: FileEntry[]; warnings: string[] }> {
    return this.artifacts.collect(options);
  }

  prepareArtifact(commit: ArtifactCommit): Promise<Omit<ArtifactManifest, "id">> {
    return this.artifacts.prepare(commit);
  }

  writeArtifactManifest(manifest: ArtifactManifest, mode: "create" | "replace"): Promise<boolean> {
    return this.artifacts.write(manifest, mode);
  }

  findArtifact(runId: string, id: number): Promise<ArtifactManifest | undefined> {
    return this.artifacts.find(runId, id);
  }

  readArtifactFiles(manifest: ArtifactManifest): Promise<FileEntry[]> {
    return this.artifacts.readEntries(manifest);
  }

  extractArtifactFiles(entries: readonly FileEntry[], target: string, files: JobFileAccess): Promise<void> {
    return this.artifacts.extract(entries, target, files);
  }

  collectCache(options: SaveCacheOptions): Promise<{ entries: CacheFileEntry[] } | { message: string }> {
    return this.caches.collect(options);
  }

  commitCache(commit: CacheCommit): Promise<SaveCacheResult> {
    return this.caches.commit(commit);
  }

  lookupCache(lookup: CacheLookup): Promise<CacheManifest | undefined> {
    return this.caches.lookup(lookup);
  }

  readCache(entryId: string): Promise<CacheManifest | undefined> {
    return this.caches.read(entryId);
  }

  markCacheUsed(entry: CacheManifest): Promise<void> {
    return this.caches.markUsed(entry);
  }

  readCacheFiles(manifest: CacheManifest): Promise<CacheFileEntry[]> {
    return this.caches.readEntries(manifest);
  }

  extractCacheFiles(entries: readonly CacheFileEntry[], job: CacheFiles): Promise<void> {
    return this.caches.extract(entries, job);
  }

  hasBlob(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }

  blobPath(digest: string): string {
    return this.blobs.pathOf(digest);
  }

  putExpectedBlob(source: Readable, expected: { digest: string; maxBytes?: number }): Promise<StoredBlob> {
    return this.blobs.putExpected(source, expected);
  }

  gc(options?: GcOptions): Promise<GcReport> {
    const { layout, blobs, artifacts, caches } = this;
    return collectGarbage({ layout, blobs, artifacts, caches }, this.now(), options);
  }

  /** Artifact and cache bytes are logical (sum of file sizes); blob bytes are what the disk holds. */
  async usage(): Promise<StoreUsage> {
    const sum = (records: Array<{ manifest: { size: number } }>) => ({
      count: records.length,
      bytes: records.reduce((total, record) => total + record.manifest.size, 0),
    });
    const blobs = { count: 0, bytes: 0 };
    for await (const blob of this.blobs.listBlobs()) {
      blobs.count++;
      blobs.bytes += blob.size;
    }
    return {
      artifacts: sum(await this.artifacts.readAllRecords()),
      caches: sum(await this.caches.readAllRecords()),
      blobs,
    };
  }
}
