// Writes stored files out of the blob store to their targets, for artifact downloads and cache restores alike.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "./blob-store.js";
import { fileConcurrency, mapConcurrently } from "./map-concurrently.js";
import type { FileEntry } from "./manifest.js";

/** `targets[i]` is where `entries[i]` goes; both come from resolveTargetPath, so none is outside its base. */
export async function writeFiles(
  blobs: BlobStore,
  entries: readonly FileEntry[],
  targets: readonly string[],
): Promise<void> {
  for (const directory of new Set(targets.map((file) => path.dirname(file)))) {
    await mkdir(directory, { recursive: true });
  }
  await mapConcurrently(entries, fileConcurrency, (entry, index) =>
    blobs.copyTo(entry.digest, targets[index]!, entry.mode, entry.size),
  );
}
