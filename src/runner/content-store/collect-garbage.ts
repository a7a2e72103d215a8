// hangar gc: removes expired artifacts, unused or excess caches, then blobs and temp files nothing references.
import { lstat, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import type { ArtifactStore } from "./artifact-store.js";
import type { BlobStore } from "./blob-store.js";
import type { CacheStore } from "./cache-store.js";
import { ContentStoreError } from "./content-store-error.js";
import type { CacheManifest, FileEntry } from "./manifest.js";
import { readDirectory } from "./read-directory.js";
import type { StoreLayout } from "./store-layout.js";

/** GitHub's cache limits (docs "Dependency caching reference", Usage limits and eviction policy). */
export const cacheLimits = { maxAgeDays: 7, maxBytes: 10 * 1024 ** 3 } as const;

/**
 * An unreferenced blob or temp file younger than this is kept: an upload writes its blobs before
 * its manifest, so a fresh blob may belong to a manifest that does not exist yet.
 */
export const unreferencedGraceMs = 6 * 60 * 60 * 1000;

const dayMs = 24 * 60 * 60 * 1000;

export interface GcOptions {
  cacheMaxAgeDays?: number;
  cacheMaxBytes?: number;
}

export interface GcReport {
  artifacts: Array<{ runId: string; name: string; size: number; expiresAt: string }>;
  caches: Array<{ key: string; size: number; lastUsedAt: string; reason: "unused" | "over-size-limit" }>;
  blobs: { count: number; bytes: number };
  tempFiles: { count: number; bytes: number };
  /** Disk bytes actually released: blobs and temp files (manifests are metadata). */
  bytesFreed: number;
}

export interface GcStores {
  layout: StoreLayout;
  blobs: BlobStore;
  artifacts: ArtifactStore;
  caches: CacheStore;
}

async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    // Another gc got there first.
    if (error.code !== "ENOENT") throw error;
  });
}

export async function collectGarbage(
  stores: GcStores,
  now: Date,
  options: GcOptions = {},
): Promise<GcReport> {
  const nowMs = now.getTime();
  const report: GcReport = {
    artifacts: [],
    caches: [],
    blobs: { count: 0, bytes: 0 },
    tempFiles: { count: 0, bytes: 0 },
    bytesFreed: 0,
  };
  const referenced = new Set<string>();

  // Docs "Artifact retention": an artifact is deleted when its retention period ends.
  for (const { file, manifest } of await stores.artifacts.readAllRecords()) {
    if (Date.parse(manifest.expiresAt) > nowMs) {
      await markReferenced(stores.blobs, manifest.filesDigest, referenced);
      continue;
    }
    await removeFile(file);
    await rmdir(path.dirname(file)).catch(() => undefined);
    report.artifacts.push({
      runId: manifest.runId,
      name: manifest.name,
      size: manifest.size,
      expiresAt: manifest.expiresAt,
    });
  }

  // GitHub removes caches not accessed for 7 days, then the least recently used over the size limit.
  const maxAgeMs = (options.cacheMaxAgeDays ?? cacheLimits.maxAgeDays) * dayMs;
  const maxBytes = options.cacheMaxBytes ?? cacheLimits.maxBytes;
  const kept: Array<{ file: string; manifest: CacheManifest }> = [];
  for (const record of await stores.caches.readAllRecords()) {
    if (nowMs - Date.parse(record.manifest.lastUsedAt) > maxAgeMs) {
      await removeCache(record.file, record.manifest, "unused", report);
    } else kept.push(record);
  }
  kept.sort((a, b) => Date.parse(a.manifest.lastUsedAt) - Date.parse(b.manifest.lastUsedAt));
  let cacheBytes = kept.reduce((sum, record) => sum + record.manifest.size, 0);
  while (cacheBytes > maxBytes && kept.length > 0) {
    const oldest = kept.shift()!;
    await removeCache(oldest.file, oldest.manifest, "over-size-limit", report);
    cacheBytes -= oldest.manifest.size;
  }
  for (const record of kept) await markReferenced(stores.blobs, record.manifest.filesDigest, referenced);

  for await (const blob of stores.blobs.listBlobs()) {
    if (referenced.has(blob.digest) || nowMs - blob.modifiedMs < unreferencedGraceMs) continue;
    await removeFile(blob.file);
    report.blobs.count++;
    report.blobs.bytes += blob.size;
  }
  for (const name of await readDirectory(stores.layout.tempDir)) {
    const file = path.join(stores.layout.tempDir, name);
    const stats = await lstat(file).catch(() => undefined);
    if (!stats || nowMs - stats.mtimeMs < unreferencedGraceMs) continue;
    await removeFile(file);
    report.tempFiles.count++;
    report.tempFiles.bytes += stats.size;
  }
  report.bytesFreed = report.blobs.bytes + report.tempFiles.bytes;
  return report;
}

async function removeCache(
  file: string,
  manifest: CacheManifest,
  reason: "unused" | "over-size-limit",
  report: GcReport,
): Promise<void> {
  await removeFile(file);
  report.caches.push({ key: manifest.key, size: manifest.size, lastUsedAt: manifest.lastUsedAt, reason });
}

async function markReferenced(blobs: BlobStore, filesDigest: string, referenced: Set<string>): Promise<void> {
  referenced.add(filesDigest);
  try {
    for (const entry of await blobs.readJson<FileEntry[]>(filesDigest)) referenced.add(entry.digest);
  } catch (error) {
    // A manifest whose file list is gone cannot protect anything; downloading it reports the loss.
    if (!(error instanceof ContentStoreError && error.code === "STORE_BLOB_MISSING")) throw error;
  }
}
