// ContentStore: the artifact and cache store the built-in upload/download-artifact and cache actions use.
import path from "node:path";
import {
  ArtifactStore,
  type ArtifactInfo,
  type DownloadArtifactOptions,
  type DownloadResult,
  type UploadArtifactOptions,
  type UploadResult,
} from "./artifact-store.js";
import { BlobStore } from "./blob-store.js";
import {
  CacheStore,
  type RestoreCacheOptions,
  type RestoreCacheResult,
  type SaveCacheOptions,
  type SaveCacheResult,
} from "./cache-store.js";
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
 * Safe to share between parallel jobs and processes on one data directory: blobs and manifests
 * are written to temp files and renamed (or linked) into place, so no reader sees a partial write.
 */
export class ContentStore {
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
