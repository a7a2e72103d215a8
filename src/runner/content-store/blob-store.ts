// Content-addressed blobs: bytes stream through sha256 into a temp file that is renamed into place; copies out.
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { access, chmod, copyFile, lstat, mkdir, readFile, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ContentStoreError } from "./content-store-error.js";
import { readDirectory } from "./read-directory.js";
import type { StoreLayout } from "./store-layout.js";

export interface StoredBlob {
  digest: string;
  size: number;
}

export interface BlobFile {
  digest: string;
  file: string;
  size: number;
  modifiedMs: number;
}

/**
 * Below this size a plain copy is faster: a failed reflink attempt costs about as much as copying
 * 10 KiB on ext4 (bench/artifacts.ts cache restore hit); above it, CoW filesystems clone for free.
 */
const cloneMinBytes = 1024 * 1024;

function tooLarge(maxBytes: number): ContentStoreError {
  return new ContentStoreError(
    "STORE_BLOB_TOO_LARGE",
    `A file is larger than the store accepts (${maxBytes} bytes); archive or split it before uploading.`,
  );
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException).code === code;
}

export class BlobSink {
  private readonly fd: number;
  private readonly hash = createHash("sha256");
  private size = 0;
  private isClosed = false;

  constructor(
    private readonly layout: StoreLayout,
    private readonly temp: string,
    private readonly maxBytes: number | undefined,
  ) {
    this.fd = openSync(temp, "wx", 0o444);
  }

  write(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) throw tooLarge(this.maxBytes);
    this.hash.update(chunk);
    for (let written = 0; written < chunk.length;) {
      written += writeSync(this.fd, chunk, written, chunk.length - written);
    }
  }

  /** Moves the bytes into place under their digest (see BlobStore.put on renaming over an existing blob). */
  finish(): StoredBlob {
    this.close();
    const digest = this.hash.digest("hex");
    const target = this.layout.blobPath(digest);
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(this.temp, target);
    return { digest, size: this.size };
  }

  /** Drops a blob that will not be finished; safe to call after finish(). */
  abort(): void {
    if (this.isClosed) return;
    this.close();
    rmSync(this.temp, { force: true });
  }

  private close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    closeSync(this.fd);
  }
}

export class BlobStore {
  constructor(private readonly layout: StoreLayout) {}

  /** Streams the file (following a symlink to its target, as upload-artifact does); memory stays bounded. */
  putFile(source: string): Promise<StoredBlob> {
    return this.put(createReadStream(source));
  }

  putBuffer(data: Buffer): Promise<StoredBlob> {
    return this.put(Readable.from([data]));
  }

  /**
   * Stores bytes that arrived from elsewhere (a runner's upload, the server's download) under the digest they
   * were sent as: a body that hashes differently or grows past `maxBytes` is refused and nothing is kept.
   */
  putExpected(source: Readable, expected: { digest: string; maxBytes?: number }): Promise<StoredBlob> {
    return this.put(source, expected);
  }

  /**
   * A blob written chunk by chunk with synchronous writes: the file agent's output arrives as pushed chunks with no
   * way to pause it, so each chunk reaches the disk before the next is read and memory stays at one chunk.
   */
  openSink(maxBytes?: number): BlobSink {
    mkdirSync(this.layout.tempDir, { recursive: true });
    return new BlobSink(this.layout, this.layout.newTempPath(), maxBytes);
  }

  async has(digest: string): Promise<boolean> {
    return access(this.layout.blobPath(digest)).then(
      () => true,
      () => false,
    );
  }

  /** Where the blob's bytes are, for streaming them out; callers check `has` or handle ENOENT. */
  pathOf(digest: string): string {
    return this.layout.blobPath(digest);
  }

  private async put(source: Readable, expected?: { digest: string; maxBytes?: number }): Promise<StoredBlob> {
    await mkdir(this.layout.tempDir, { recursive: true });
    const temp = this.layout.newTempPath();
    const hash = createHash("sha256");
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            if (expected?.maxBytes !== undefined && size > expected.maxBytes)
              throw tooLarge(expected.maxBytes);
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: "wx", mode: 0o444 }),
      );
      const digest = hash.digest("hex");
      if (expected && digest !== expected.digest) {
        throw new ContentStoreError(
          "STORE_BLOB_DIGEST_MISMATCH",
          `Content sent as sha256:${expected.digest} hashes to sha256:${digest}; it was changed or cut off in transit.`,
        );
      }
      const target = this.layout.blobPath(digest);
      // Renaming over an existing blob is safe: same digest, same bytes; it also refreshes the
      // mtime that gc's grace period reads, so a blob being referenced right now is never swept.
      try {
        await rename(temp, target);
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temp, target);
      }
      return { digest, size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    try {
      return JSON.parse(await readFile(this.layout.blobPath(digest), "utf8")) as T;
    } catch (error) {
      if (isErrno(error, "ENOENT")) throw this.missingError(digest, error);
      throw error;
    }
  }

  /** Writes a fresh copy (never a hard link: editing a downloaded file must not change the store). */
  async copyTo(digest: string, destination: string, mode: number, size: number): Promise<void> {
    const blob = this.layout.blobPath(digest);
    // Unlink first so an existing symlink at the destination is replaced, not written through.
    await unlink(destination).catch((error: unknown) => {
      if (!isErrno(error, "ENOENT")) throw error;
    });
    try {
      await copyFile(blob, destination, size >= cloneMinBytes ? constants.COPYFILE_FICLONE : 0);
    } catch (error) {
      if (isErrno(error, "ENOENT") && !(await this.has(digest))) {
        throw this.missingError(digest, error);
      }
      throw error;
    }
    await chmod(destination, mode);
  }

  /** Every blob on disk, for gc and usage; one directory in memory at a time. */
  async *listBlobs(): AsyncGenerator<BlobFile> {
    for (const fanout of await readDirectory(this.layout.blobsDir)) {
      const directory = path.join(this.layout.blobsDir, fanout);
      for (const digest of await readDirectory(directory)) {
        const file = path.join(directory, digest);
        const stats = await lstat(file).catch(() => undefined);
        if (stats?.isFile()) yield { digest, file, size: stats.size, modifiedMs: stats.mtimeMs };
      }
    }
  }

  missingError(digest: string, cause?: unknown): ContentStoreError {
    return new ContentStoreError(
      "STORE_BLOB_MISSING",
      `The store under ${this.layout.dataDir} has no blob sha256:${digest}; it was removed while still referenced. Upload or save it again.`,
      { cause },
    );
  }
}
