// upload-artifact and download-artifact (v4 semantics) over the blob store; artifacts are per run and immutable.
import { createHash, randomInt } from "node:crypto";
import path from "node:path";
import { minimatch } from "minimatch";
import type { BlobStore } from "./blob-store.js";
import { ContentStoreError } from "./content-store-error.js";
import { findArtifactRoot } from "./find-artifact-root.js";
import {
  collectIntoBlobs,
  validateStoredPath,
  writeFromBlobs,
  type JobFileAccess,
} from "./job-file-access.js";
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
  /** The job's files, where the globs are matched and the files read, with the job's own rights. */
  files: JobFileAccess;
  ifNoFilesFound?: IfNoFilesFound;
  retentionDays?: number;
  includeHiddenFiles?: boolean;
  overwrite?: boolean;
  /** Applied to each file's path before it is stored: the job's secret masking (a file may be named after one). */
  maskPath?: (path: string) => string;
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
  /** Absolute in the job's view; the files are written there by the job itself. */
  destination: string;
  files: JobFileAccess;
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

/** An artifact's files as a store commits them: the bytes are already in the committing store's blobs. */
export interface ArtifactCommit {
  runId: string;
  name: string;
  entries: FileEntry[];
  retentionDays?: number;
}

/** Which artifacts a download asks for: one by name, or those matching a pattern (all without one). */
export type ArtifactSelection = Pick<DownloadArtifactOptions, "runId" | "name" | "pattern">;

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
    const manifestPath = this.layout.artifactManifestPath(options.runId, options.name);
    // Checked first so a duplicate fails before any byte is hashed; createManifest re-checks atomically.
    const existing = await readManifest<ArtifactManifest>(manifestPath);
    const replacesExpired = existing !== undefined && this.isExpired(existing);
    if (existing && !replacesExpired && !options.overwrite) throw artifactExists(options.runId, options.name);

    const { entries, warnings } = await this.collect(options);
    if (entries.length === 0) return nothingUploaded(options.name, warnings);
    const manifest: ArtifactManifest = {
      // GitHub's artifact-id is a number; random keeps ids unique across processes without a counter file.
      id: randomInt(1, 2 ** 47),
      ...(await this.prepare({ ...options, entries })),
    };
    if (!(await this.write(manifest, options.overwrite || replacesExpired ? "replace" : "create"))) {
      throw artifactExists(options.runId, options.name);
    }
    const { id, name, fileCount, size, digest } = manifest;
    return { uploaded: true, id, name, fileCount, size, digest, warnings };
  }

  /**
   * Matches the path input and stores each file's bytes in this store's blobs: the first half of an upload,
   * which a runner does locally before sending the missing blobs and the entries to the server.
   * No entries means nothing matched (if-no-files-found was warn or ignore; error throws).
   */
  async collect(options: UploadArtifactOptions): Promise<{ entries: FileEntry[]; warnings: string[] }> {
    validateArtifactName(options.name);
    const retention = resolveRetentionDays(options.retentionDays);
    const warnings = retention.warning ? [retention.warning] : [];
    const { collected, searchPaths } = await collectIntoBlobs(options.files, this.blobs, {
      patterns: options.paths,
      cwd: options.workspace,
      followSymbolicLinks: true,
      implicitDescendants: true,
      excludeHiddenFiles: !(options.includeHiddenFiles ?? false),
      bases: {},
    });
    if (collected.length === 0) {
      // upload-artifact: the same sentence is an error, a warning or an info line.
      const message = `No files were found with the provided path: ${options.paths}. No artifacts will be uploaded.`;
      const mode = options.ifNoFilesFound ?? "warn";
      if (mode === "error") throw new ContentStoreError("STORE_NO_FILES", message);
      return { entries: [], warnings: mode === "warn" ? [...warnings, message] : warnings };
    }
    if (collected.length > manyFilesWarningCount) {
      warnings.push(
        `There are over ${manyFilesWarningCount.toLocaleString("en-US")} files in this artifact, consider creating an archive before upload to improve the upload performance.`,
      );
    }
    const absolutePaths = collected.map((file) => path.resolve("/", file.entry.absolute ?? file.entry.path));
    const root = findArtifactRoot(searchPaths, absolutePaths);
    const relativePaths = absolutePaths.map((file) => path.relative(root, file).split(path.sep).join("/"));
    for (const relative of relativePaths) {
      validateStoredPath(relative);
      validateArtifactFilePath(relative);
    }
    const storedPaths = options.maskPath ? relativePaths.map(options.maskPath) : relativePaths;
    const entries = collected.map((file, index) => ({
      path: storedPaths[index]!,
      mode: file.entry.mode & 0o7777,
      size: file.size,
      digest: file.digest,
    }));
    return { entries, warnings };
  }

  /** The manifest for entries whose blobs this store holds (all but its id); stores the file list. */
  async prepare(commit: ArtifactCommit): Promise<Omit<ArtifactManifest, "id">> {
    validateRunId(commit.runId);
    validateArtifactName(commit.name);
    commit.entries.forEach((entry) => validateArtifactFilePath(entry.path));
    const retention = resolveRetentionDays(commit.retentionDays);
    const entries = [...commit.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const list = await this.blobs.putBuffer(Buffer.from(JSON.stringify(entries)));
    const createdAt = this.now();
    return {
      kind: "artifact",
      runId: commit.runId,
      name: commit.name,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + retention.days * dayMs).toISOString(),
      retentionDays: retention.days,
      fileCount: entries.length,
      size: entries.reduce((sum, entry) => sum + entry.size, 0),
      digest: computeListDigest(entries),
      filesDigest: list.digest,
    };
  }

  /** `create` fails (false) when the name exists; `replace` is for overwrite and for callers that hold the name. */
  async write(manifest: ArtifactManifest, mode: "create" | "replace"): Promise<boolean> {
    const manifestPath = this.layout.artifactManifestPath(manifest.runId, manifest.name);
    if (mode === "create") return createManifest(this.layout, manifestPath, manifest);
    await replaceManifest(this.layout, manifestPath, manifest);
    return true;
  }

  async download(options: DownloadArtifactOptions): Promise<DownloadResult> {
    const chosen = chooseArtifacts(await this.readManifests(options.runId), options);
    const artifacts: DownloadedArtifact[] = [];
    for (const manifest of chosen) {
      const target = downloadTargetOf(options, manifest.name);
      await this.extract(await this.readEntries(manifest), target, options.files);
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

  /** The unexpired artifact of the run with this id. */
  async find(runId: string, id: number): Promise<ArtifactManifest | undefined> {
    return (await this.readManifests(runId)).find((manifest) => manifest.id === id);
  }

  readEntries(manifest: ArtifactManifest): Promise<FileEntry[]> {
    return this.blobs.readJson<FileEntry[]>(manifest.filesDigest);
  }

  /** Writes the files below `target` inside the job, as the job. */
  extract(entries: readonly FileEntry[], target: string, files: JobFileAccess): Promise<void> {
    return writeFromBlobs(files, this.blobs, { target, bases: {}, replace: false }, entries);
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
}

export function nothingUploaded(name: string, warnings: string[]): UploadResult {
  return { uploaded: false, id: null, name, fileCount: 0, size: 0, digest: null, warnings };
}

/** download-artifact v4: one named artifact, or merge-multiple, extracts into path itself; otherwise path/<name>/. */
export function downloadTargetOf(options: DownloadArtifactOptions, name: string): string {
  const destination = path.resolve(options.destination);
  const isFlat = options.name !== undefined || options.mergeMultiple === true;
  return isFlat ? destination : path.join(destination, name);
}

/** The artifacts a download takes from those available (sorted by name): wherever the store is. */
export function chooseArtifacts<T extends { name: string }>(
  available: readonly T[],
  selection: ArtifactSelection,
): T[] {
  if (selection.name !== undefined) {
    const found = available.find((artifact) => artifact.name === selection.name);
    if (!found) throw artifactNotFound(selection.runId, selection.name, available);
    return [found];
  }
  const { pattern } = selection;
  return pattern === undefined
    ? [...available]
    : available.filter((artifact) => minimatch(artifact.name, pattern));
}

export function artifactExists(runId: string, name: string): ContentStoreError {
  return new ContentStoreError(
    "STORE_ARTIFACT_EXISTS",
    `An artifact named '${name}' already exists in run ${runId}. Artifacts are immutable: choose another name or set overwrite: true.`,
  );
}

function artifactNotFound(
  runId: string,
  name: string,
  available: readonly { name: string }[],
): ContentStoreError {
  const names = available.map((artifact) => `'${artifact.name}'`).join(", ");
  return new ContentStoreError(
    "STORE_ARTIFACT_NOT_FOUND",
    `Artifact not found for name: '${name}' in run ${runId}. ` +
      (names ? `Artifacts in this run: ${names}.` : "This run has no artifacts (or they have expired)."),
  );
}
