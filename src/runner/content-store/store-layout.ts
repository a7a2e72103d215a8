// The on-disk layout of the store under the data directory; nothing else builds store paths.
import { randomUUID } from "node:crypto";
import path from "node:path";

/**
 * dataDir/blobs/sha256/ab/abcdef…     file contents and file lists, named by their sha256
 * dataDir/artifacts/<runId>/<name>.json  one manifest per artifact
 * dataDir/caches/<sha256(key, version)>.json  one manifest per cache entry
 * dataDir/tmp/                           partial writes; same filesystem, so rename is atomic
 */
export class StoreLayout {
  readonly blobsDir: string;
  readonly artifactsDir: string;
  readonly cachesDir: string;
  readonly tempDir: string;

  constructor(readonly dataDir: string) {
    this.blobsDir = path.join(dataDir, "blobs", "sha256");
    this.artifactsDir = path.join(dataDir, "artifacts");
    this.cachesDir = path.join(dataDir, "caches");
    this.tempDir = path.join(dataDir, "tmp");
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digest.slice(0, 2), digest);
  }

  /** Unique across processes and parallel jobs sharing the data directory. */
  newTempPath(): string {
    return path.join(this.tempDir, `${process.pid}-${randomUUID()}`);
  }

  runDir(runId: string): string {
    return path.join(this.artifactsDir, runId);
  }

  artifactManifestPath(runId: string, name: string): string {
    return path.join(this.runDir(runId), `${name}.json`);
  }

  cacheManifestPath(entryId: string): string {
    return path.join(this.cachesDir, `${entryId}.json`);
  }
}
