// Artifacts and caches of a job claimed from a server, kept on the server: files are collected into and extracted
// from the runner's own content store, which acts as a blob cache, and only blobs the other side lacks are sent.
import type { Readable } from "node:stream";
import {
  chooseArtifacts,
  computeCacheVersion,
  ContentStoreError,
  downloadTargetOf,
  normalizeRestoreKeys,
  nothingUploaded,
  validateCacheKeys,
  type ArtifactsAndCaches,
  type ContentStore,
  type DownloadArtifactOptions,
  type DownloadResult,
  type FileEntry,
  type RestoreCacheOptions,
  type RestoreCacheResult,
  type SaveCacheOptions,
  type SaveCacheResult,
  type UploadArtifactOptions,
  type UploadResult,
} from "../content-store/index.js";
import { mapConcurrently } from "../content-store/map-concurrently.js";
import type { ContentClient } from "./content-client.js";

/** Blob transfers at once: enough to hide round trips, few enough not to starve the job's own traffic. */
const transferConcurrency = 4;
/** Digests per "which are missing" question; the server's schema allows this many. */
export const missingBlobsBatch = 10_000;
const sha256Hex = /^[0-9a-f]{64}$/;

export class ServerContent implements ArtifactsAndCaches {
  readonly #client: ContentClient;
  readonly #local: ContentStore;

  constructor(client: ContentClient, local: ContentStore) {
    this.#client = client;
    this.#local = local;
  }

  async uploadArtifact(options: UploadArtifactOptions): Promise<UploadResult> {
    const { entries, warnings } = await this.#local.collectArtifact(options);
    if (entries.length === 0) return nothingUploaded(options.name, warnings);
    await this.#sendBlobs(entries);
    const stored = await this.#client.commitArtifact({
      name: options.name,
      files: entries,
      ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
      overwrite: options.overwrite ?? false,
    });
    const { id, name, fileCount, size, digest } = stored;
    return { uploaded: true, id, name, fileCount, size, digest, warnings };
  }

  async downloadArtifact(options: DownloadArtifactOptions): Promise<DownloadResult> {
    const chosen = chooseArtifacts(await this.#client.listArtifacts(), options);
    const artifacts: DownloadResult["artifacts"] = [];
    for (const artifact of chosen) {
      const files = await this.#client.readArtifactFiles(artifact.id);
      await this.#fetchBlobs(files, (digest) => this.#client.openArtifactBlob(artifact.id, digest));
      const target = downloadTargetOf(options, artifact.name);
      await this.#local.extractArtifactFiles(files, target, options.files);
      const { id, name, fileCount, size } = artifact;
      artifacts.push({ id, name, path: target, fileCount, size });
    }
    return { artifacts };
  }

  async restoreCache(options: RestoreCacheOptions): Promise<RestoreCacheResult> {
    const restoreKeys = normalizeRestoreKeys(options.restoreKeys);
    validateCacheKeys([options.key, ...restoreKeys]);
    const entry = await this.#client.lookupCache({
      key: options.key,
      restoreKeys,
      version: computeCacheVersion(options.paths),
      lookupOnly: options.lookupOnly ?? false,
    });
    if (!entry) return { hit: false };
    if (!options.lookupOnly) {
      await this.#fetchBlobs(entry.files, (digest) => this.#client.openCacheBlob(entry.id, digest));
      await this.#local.extractCacheFiles(entry.files, options);
    }
    return { hit: entry.key === options.key, matchedKey: entry.key };
  }

  async saveCache(options: SaveCacheOptions): Promise<SaveCacheResult> {
    validateCacheKeys([options.key]);
    const collected = await this.#local.collectCache(options);
    if ("message" in collected) return { saved: false, size: 0, message: collected.message };
    await this.#sendBlobs(collected.entries);
    return this.#client.commitCache({
      key: options.key,
      version: computeCacheVersion(options.paths),
      files: collected.entries,
    });
  }

  /** Sends the blobs the server lacks, from the local store (collect put every file there). */
  async #sendBlobs(entries: readonly FileEntry[]): Promise<void> {
    const sizes = new Map(entries.map((entry) => [entry.digest, entry.size]));
    const digests = [...sizes.keys()];
    for (let start = 0; start < digests.length; start += missingBlobsBatch) {
      const missing = await this.#client.findMissingBlobs(digests.slice(start, start + missingBlobsBatch));
      await mapConcurrently(missing, transferConcurrency, (digest) =>
        this.#client.putBlob(digest, this.#local.blobPath(digest), sizes.get(digest) ?? 0),
      );
    }
  }

  /** Fetches the blobs the local store lacks; each is checked against its digest as it is stored. */
  async #fetchBlobs(
    entries: readonly FileEntry[],
    open: (digest: string) => Promise<Readable>,
  ): Promise<void> {
    const digests = [...new Set(entries.map((entry) => entry.digest))];
    await mapConcurrently(digests, transferConcurrency, async (digest) => {
      // The digest names a local file: one that is not a sha256 must never become a path.
      if (!sha256Hex.test(digest)) {
        throw new ContentStoreError(
          "STORE_MANIFEST_INVALID",
          `The server listed a file with digest '${digest}'.`,
        );
      }
      if (await this.#local.hasBlob(digest)) return;
      await this.#local.putExpectedBlob(await open(digest), { digest });
    });
  }
}
