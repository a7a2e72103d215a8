// The image store's on-disk layout and its small JSON records (one per image, one per reference); no other file
// knows these paths. Records are written to a temp file and renamed, so readers see the old or the new one.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { IdMap } from "../runtime/id-mapping.js";
import type { ImageConfig } from "./image-config.js";

/**
 * <dir>/blobs/sha256/<hex>          OCI blobs shared by every image (a layer two images share is stored once)
 * <dir>/digests/<hex>/layout/       the image's OCI layout: index.json, oci-layout, blobs -> ../../../blobs
 * <dir>/digests/<hex>/rootfs/       the unpacked root filesystem, read-only for jobs
 * <dir>/digests/<hex>/image.json    ImageRecord; the directory appears complete, in one rename, or not at all
 * <dir>/digests/<hex>/leases/       one file per job using the image, named <pid>-<random>
 * <dir>/refs/<sha256 of reference>.json   ReferenceRecord
 * <dir>/locks/, <dir>/tmp/
 */
export class ImageStoreLayout {
  readonly blobsDir: string;
  readonly digestsDir: string;
  readonly refsDir: string;
  readonly locksDir: string;
  readonly tempDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = path.join(dir, "blobs");
    this.digestsDir = path.join(dir, "digests");
    this.refsDir = path.join(dir, "refs");
    this.locksDir = path.join(dir, "locks");
    this.tempDir = path.join(dir, "tmp");
  }

  imageDir(digest: string): string {
    return path.join(this.digestsDir, hexOf(digest));
  }

  imageRecordFile(digest: string): string {
    return path.join(this.imageDir(digest), "image.json");
  }

  leasesDir(digest: string): string {
    return path.join(this.imageDir(digest), "leases");
  }

  blobFile(digest: string): string {
    return path.join(this.blobsDir, "sha256", hexOf(digest));
  }

  refFile(reference: string): string {
    return path.join(this.refsDir, `${sha256Hex(reference)}.json`);
  }

  digestLock(digest: string): string {
    return path.join(this.locksDir, `digest-${hexOf(digest)}.lock`);
  }

  referenceLock(reference: string): string {
    return path.join(this.locksDir, `ref-${sha256Hex(reference)}.lock`);
  }

  newTempPath(prefix: string): string {
    return path.join(this.tempDir, `${prefix}-${process.pid}-${randomBytes(6).toString("hex")}`);
  }
}

/** image.json: what `ls` shows and gc weighs, and what a job needs without reading blobs again. */
export interface ImageRecord {
  digest: string;
  /** Manifest, config and layers as stored (compressed) in blobs/. */
  blobs: string[];
  size: number;
  unpackedSize: number;
  config: ImageConfig;
  createdAt: string;
  lastUsedAt: string;
  /**
   * The mapping rootfs/ was unpacked shifted by (its files owned by host ids from hostId), or null: the image's own
   * ids. Absent in records written before user namespaces, whose rootfs keep the image's own ids.
   */
  idMap?: IdMap | null;
}

export interface ReferenceRecord {
  reference: string;
  digest: string;
  updatedAt: string;
  /** Pulled with credentials: every later use must show the registry credentials again. */
  needsCredentials?: boolean;
}

export function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, "");
}

function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** createParent false: a record whose directory went (its image was removed) fails with ENOENT instead of reviving it. */
export async function writeRecord(
  layout: ImageStoreLayout,
  file: string,
  value: unknown,
  options: { createParent?: boolean } = {},
): Promise<void> {
  await mkdir(layout.tempDir, { recursive: true });
  if (options.createParent ?? true) await mkdir(path.dirname(file), { recursive: true });
  const temp = layout.newTempPath("record");
  await writeFile(temp, JSON.stringify(value, null, 2) + "\n", { flag: "wx" });
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** undefined when the record does not exist (never written, or removed meanwhile). */
export async function readRecord<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

export async function readAllImages(layout: ImageStoreLayout): Promise<ImageRecord[]> {
  const records = await Promise.all(
    (await listNames(layout.digestsDir)).map((hex) =>
      readRecord<ImageRecord>(layout.imageRecordFile(`sha256:${hex}`)),
    ),
  );
  return records.filter((record) => record !== undefined);
}

export async function readAllReferences(layout: ImageStoreLayout): Promise<ReferenceRecord[]> {
  const records = await Promise.all(
    (await listNames(layout.refsDir))
      .filter((name) => name.endsWith(".json"))
      .map((name) => readRecord<ReferenceRecord>(path.join(layout.refsDir, name))),
  );
  return records.filter((record) => record !== undefined);
}
