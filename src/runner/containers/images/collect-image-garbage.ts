// Image gc: removes images unused for too long, then the least recently used while the store is over its size
// limit (never a leased one), then blobs no remaining image references and staging left by crashed pulls.
import { lstat, readdir, rm, unlink } from "node:fs/promises";
import path from "node:path";
import {
  listNames,
  readAllImages,
  readAllReferences,
  type ImageRecord,
  type ImageStoreLayout,
} from "./image-records.js";
import { isLeased } from "./image-leases.js";

/** Defaults for `hangar image gc`; a CI host usually keeps a handful of base images warm. */
export const imageGcDefaults = { maxAgeDays: 30, maxBytes: 20 * 1024 ** 3 } as const;

/**
 * An unreferenced blob or staging directory younger than this is kept: a pull writes its blobs before the
 * image directory that references them exists.
 */
export const imageOrphanGraceMs = 60 * 60 * 1000;

const dayMs = 24 * 60 * 60 * 1000;

export interface ImageGcOptions {
  maxAgeDays?: number;
  /** Limit on compressed blobs plus unpacked rootfs bytes, summed over images (a shared layer counts per image). */
  maxBytes?: number;
}

export interface RemovedImage {
  digest: string;
  references: string[];
  size: number;
  unpackedSize: number;
  lastUsedAt: string;
  reason: "unused" | "over-size-limit";
}

export interface ImageGcReport {
  images: RemovedImage[];
  /** Digests that would have gone but a running job holds a lease on. */
  keptInUse: string[];
  blobs: { count: number; bytes: number };
  tempEntries: number;
  bytesFreed: number;
}

export interface ImageGcContext {
  layout: ImageStoreLayout;
  /** false when a lease appeared meanwhile or the image was already gone. */
  removeImage(digest: string): Promise<boolean>;
}

function weightOf(image: ImageRecord): number {
  return image.size + image.unpackedSize;
}

export async function collectImageGarbage(
  context: ImageGcContext,
  now: Date,
  options: ImageGcOptions = {},
): Promise<ImageGcReport> {
  const { layout } = context;
  const report: ImageGcReport = {
    images: [],
    keptInUse: [],
    blobs: { count: 0, bytes: 0 },
    tempEntries: 0,
    bytesFreed: 0,
  };
  const references = await readAllReferences(layout);
  const maxAgeMs = (options.maxAgeDays ?? imageGcDefaults.maxAgeDays) * dayMs;
  const maxBytes = options.maxBytes ?? imageGcDefaults.maxBytes;

  const tryRemove = async (image: ImageRecord, reason: RemovedImage["reason"]): Promise<boolean> => {
    if ((await isLeased(layout, image.digest)) || !(await context.removeImage(image.digest))) {
      report.keptInUse.push(image.digest);
      return false;
    }
    report.images.push({
      digest: image.digest,
      references: references.filter((r) => r.digest === image.digest).map((r) => r.reference),
      size: image.size,
      unpackedSize: image.unpackedSize,
      lastUsedAt: image.lastUsedAt,
      reason,
    });
    report.bytesFreed += image.unpackedSize;
    return true;
  };

  const kept: ImageRecord[] = [];
  for (const image of await readAllImages(layout)) {
    const isUnused = now.getTime() - Date.parse(image.lastUsedAt) > maxAgeMs;
    if (!isUnused || !(await tryRemove(image, "unused"))) kept.push(image);
  }
  kept.sort((a, b) => Date.parse(a.lastUsedAt) - Date.parse(b.lastUsedAt));
  let total = kept.reduce((sum, image) => sum + weightOf(image), 0);
  for (const image of kept) {
    if (total <= maxBytes) break;
    if (await tryRemove(image, "over-size-limit")) total -= weightOf(image);
  }

  // Read again: an image committed while we removed others references blobs too.
  const referenced = new Set((await readAllImages(layout)).flatMap((image) => image.blobs));
  const blobDir = path.join(layout.blobsDir, "sha256");
  for (const hex of await listNames(blobDir)) {
    const file = path.join(blobDir, hex);
    const stats = await lstat(file).catch(() => undefined);
    if (!stats || referenced.has(`sha256:${hex}`) || now.getTime() - stats.mtimeMs < imageOrphanGraceMs)
      continue;
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    report.blobs.count++;
    report.blobs.bytes += stats.size;
  }
  report.bytesFreed += report.blobs.bytes;

  for (const name of await readdir(layout.tempDir).catch(() => [] as string[])) {
    const entry = path.join(layout.tempDir, name);
    const stats = await lstat(entry).catch(() => undefined);
    if (!stats || now.getTime() - stats.mtimeMs < imageOrphanGraceMs) continue;
    await rm(entry, { recursive: true, force: true });
    report.tempEntries++;
  }
  return report;
}
