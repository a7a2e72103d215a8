// upload-artifact and download-artifact (v4 semantics) over the blob store; artifacts are per run and immutable.
import { createHash, randomInt } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { minimatch } from "minimatch";
import type { BlobStore } from "./blob-store.js";
import { ContentStoreError } from "./content-store-error.js";
import { findArtifactRoot } from "./find-artifact-root.js";
import { fileConcurrency, mapConcurrently } from "./map-concurrently.js";
import { matchFiles } from "./match-files.js";
import {
  createManifest,
  readManifest,
  readManifestRecords,
  replaceManifest,
  type ArtifactManifest,
  type FileEntry,
  type ManifestRecord,
} from "./manifest.js";
import { readDirectory } from "./read-directory.js";
import { resolveTargetPath } from "./resolve-target-path.js";
import type { StoreLayout } from "./store-layout.js";
import {
  resolveRetentionDays,
  validateArtifactFilePath,
  validateArtifactName,
  validateRunId,
} from "./validate-inputs.js";

const dayMs = 24 * 60 * 60 * 1000;
/** upload-artifact warns past this many files (it suggests archiving first). */
const manyFilesWarningCount = 10_000;

export type IfNoFilesFound = "warn" | "error" | "ignore";

export interface UploadArtifactOptions {
  runId: string;
  name: string;
  /** The action's `path` input: newline-separated globs, `!` excludes, relative to the workspace. */
  paths: string;
  workspace: string;
  ifNoFilesFound?: IfNoFilesFound;
  retentionDays?: number;
  includeHiddenFiles?: boolean;
  overwrite?: boolean;
}

export interface UploadResult {
  /** False when nothing matched and if-no-files-found was warn or ignore: no artifact exists then. */
  uploaded: boolean;
  id: number | null;
  name: string;
  fileCount: number;
  size: number;
  /** sha256 over the file list (path, mode, content digest), hex; null when nothing was uploaded. */
  digest: string | null;
  /** For the step log as `::warning::` lines. */
  warnings: string[];
}

export interface DownloadArtifactOptions {
  runId: string;
  name?: string;
  /** A glob on artifact names (minimatch, as download-artifact uses); ignored when name is set. */
  pattern?: string;
  mergeMultiple?: boolean;
  destination: string;
}

export interface DownloadedArtifact {
  id: number;
  name: string;
  /** The directory the artifact's files were written under. */
  path: string;
  fileCount: number;
  size: number;
}

export interface DownloadResult {
  artifacts: DownloadedArtifact[];
}

export interface ArtifactInfo {
  id: number;
  name: string;
  fileCount: number;
  size: number;
  digest: string;
  createdAt: string;
  expiresAt: string;
}

function computeListDigest(entries: readonly FileEntry[]): string {
  const hash = createHash("sha256");
  for (const entry of entries) hash.update(`${entry.path}\0${entry.mode.toString(8)}\0${entry.digest}\n`);
  return hash.digest("hex");
}

export class ArtifactStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
    private readonly now: () => Date,
  ) {}

  async upload(options: UploadArtifactOptions): Promise<UploadResult> {
    validateRunId(options.runId);
    validateArtifactName(options.name);
    const retention = resolveRetentionDays(options.retentionDays);
    const warnings = retention.warning ? [retention.warning] : [];
    const manifestPath = this.layout.artifactManifestPath(options.runId, options.name);
    // Checked first so a duplicate fails before any byte is hashed; createManifest re-checks atomically.
    const existing = await readManifest<ArtifactManifest>(manifestPath);
    const replacesExpired = existing !== undefined && this.isExpired(existing);
    if (existing && !replacesExpired && !options.overwrite)
      throw this.alreadyExists(options.runId, options.name);

    const match = await matchFiles(options.workspace, options.paths, {
      includeHiddenFiles: options.includeHiddenFiles ?? false,
    });
    const nothing = { uploaded: false, id: null, name: options.name, fileCount: 0, size: 0, digest: null };
    if (match.files.length === 0) {
      // upload-artifact: the same sentence is an error, a warning or an info line.
      const message = `No files were found with the provided path: ${options.paths}. No artifacts will be uploaded.`;
      const mode = options.ifNoFilesFound ?? "warn";
      if (mode === "error") throw new ContentStoreError("STORE_NO_FILES", message);
      return { ...nothing, warnings: mode === "warn" ? [...warnings, message] : warnings };
    }
    if (match.files.length > manyFilesWarningCount) {
      warnings.push(
        `There are over ${manyFilesWarningCount.toLocaleString("en-US")} files in this artifact, consider creating an archive before upload to improve the upload performance.`,
      );
    }

    const root = findArtifactRoot(
      match.searchPaths,
      match.files.map((file) => file.path),
    );
    const relativePaths = match.files.map((file) => path.relative(root, file.path).split(path.sep).join("/"));
    relativePaths.forEach(validateArtifactFilePath);
    const entries = await mapConcurrently(match.files, fileConcurrency, async (file, index) => {
      const blob = await this.blobs.putFile(file.path);
      return { path: relativePaths[index]!, mode: file.mode, size: blob.size, digest: blob.digest };
    });
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const list = await this.blobs.putBuffer(Buffer.from(JSON.stringify(entries)));
    const createdAt = this.now();
    const manifest: ArtifactManifest = {
      kind: "artifact",
      // GitHub's artifact-id is a number; random keeps ids unique across processes without a counter file.
      id: randomInt(1, 2 ** 47),
      runId: options.runId,
      name: options.name,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + retention.days * dayMs).toISOString(),
      retentionDays: retention.days,
      fileCount: entries.length,
      size: entries.reduce((sum, entry) => sum + entry.size, 0),
      digest: computeListDigest(entries),
      filesDigest: list.digest,
    };
    if (options.overwrite || replacesExpired) await replaceManifest(this.layout, manifestPath, manifest);
    else if (!(await createManifest(this.layout, manifestPath, manifest))) {
      throw this.alreadyExists(options.runId, options.name);
    }
    const { id, name, fileCount, size, digest } = manifest;
    return { uploaded: true, id, name, fileCount, size, digest, warnings };
  }

  async download(options: DownloadArtifactOptions): Promise<DownloadResult> {
    const destination = path.resolve(options.destination);
    const available = await this.readManifests(options.runId);
    let chosen: ArtifactManifest[];
    if (options.name !== undefined) {
      const found = available.find((manifest) => manifest.name === options.name);
      if (!found) throw this.notFound(options.runId, options.name, available);
      chosen = [found];
    } else {
      const { pattern } = options;
      chosen =
        pattern === undefined ? available : available.filter((manifest) => minimatch(manifest.name, pattern));
    }
    const artifacts: DownloadedArtifact[] = [];
    // download-artifact v4: one named artifact, or merge-multiple, extracts into path itself; otherwise path/<name>/.
    const isFlat = options.name !== undefined || options.mergeMultiple === true;
    for (const manifest of chosen) {
      const target = isFlat ? destination : path.join(destination, manifest.name);
      await this.extract(manifest, target);
      const { id, name, fileCount, size } = manifest;
      artifacts.push({ id, name, path: target, fileCount, size });
    }
    return { artifacts };
  }

  async list(runId: string): Promise<ArtifactInfo[]> {
    return (await this.readManifests(runId)).map(
      ({ id, name, fileCount, size, digest, createdAt, expiresAt }) => ({
        id,
        name,
        fileCount,
        size,
        digest,
        createdAt,
        expiresAt,
      }),
    );
  }

  private async extract(manifest: ArtifactManifest, target: string): Promise<void> {
    const entries = await this.blobs.readJson<FileEntry[]>(manifest.filesDigest);
    const targets = entries.map((entry) => resolveTargetPath(target, entry.path));
    for (const directory of new Set(targets.map((file) => path.dirname(file)))) {
      await mkdir(directory, { recursive: true });
    }
    await mapConcurrently(entries, fileConcurrency, (entry, index) =>
      this.blobs.copyTo(entry.digest, targets[index]!, entry.mode, entry.size),
    );
  }

  /** Unexpired artifacts of the run, by name; expired ones wait for gc but are gone for users. */
  private async readManifests(runId: string): Promise<ArtifactManifest[]> {
    validateRunId(runId);
    return (await this.readRunRecords(runId))
      .map((record) => record.manifest)
      .filter((manifest) => !this.isExpired(manifest))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every manifest of every run, expired ones included, with the file it lives in (for gc). */
  async readAllRecords(): Promise<Array<ManifestRecord<ArtifactManifest>>> {
    const runs = await readDirectory(this.layout.artifactsDir);
    return (await Promise.all(runs.map((runId) => this.readRunRecords(runId)))).flat();
  }

  private async readRunRecords(runId: string): Promise<Array<ManifestRecord<ArtifactManifest>>> {
    return readManifestRecords<ArtifactManifest>(this.layout.runDir(runId));
  }

  private isExpired(manifest: ArtifactManifest): boolean {
    return Date.parse(manifest.expiresAt) <= this.now().getTime();
  }

  private alreadyExists(runId: string, name: string): ContentStoreError {
    return new ContentStoreError(
      "STORE_ARTIFACT_EXISTS",
      `An artifact named '${name}' already exists in run ${runId}. Artifacts are immutable: choose another name or set overwrite: true.`,
    );
  }

  private notFound(runId: string, name: string, available: readonly ArtifactManifest[]): ContentStoreError {
    const names = available.map((manifest) => `'${manifest.name}'`).join(", ");
    return new ContentStoreError(
      "STORE_ARTIFACT_NOT_FOUND",
      `Artifact not found for name: '${name}' in run ${runId}. ` +
        (names ? `Artifacts in this run: ${names}.` : "This run has no artifacts (or they have expired)."),
    );
  }
}
