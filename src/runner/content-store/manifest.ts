// Manifest shapes (artifacts, cache entries, file lists) and their atomic writes; never file contents.
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { readDirectory } from "./read-directory.js";
import type { StoreLayout } from "./store-layout.js";

/** One stored file: where it goes, its permission bits and which blob holds its bytes. */
export interface FileEntry {
  /** `/`-separated, relative to the artifact root, or to `base` for a cache entry. */
  path: string;
  mode: number;
  size: number;
  digest: string;
}

/**
 * Contract: the directories a cache file may be stored relative to, as the job that saves or restores it sees them.
 * Nothing outside them is cached, so a restore writes only where a job's own files are (`~/.npm` under the home of the
 * later job, `/tmp/.buildx-cache` under its /tmp).
 */
export const cacheBases = ["workspace", "home", "temp", "tool-cache", "tmp"] as const;
export type CacheBase = (typeof cacheBases)[number];

/** Cache files keep which base they came from. */
export interface CacheFileEntry extends FileEntry {
  base: CacheBase;
}

export interface ArtifactManifest {
  kind: "artifact";
  id: number;
  runId: string;
  name: string;
  createdAt: string;
  /** Artifacts expire by retention from creation (downloads do not extend it), so no lastUsedAt. */
  expiresAt: string;
  retentionDays: number;
  fileCount: number;
  size: number;
  /** sha256 over the sorted file list (path, mode, digest): equal contents give equal digests. */
  digest: string;
  /** Blob holding the FileEntry[] as JSON; kept out of the manifest so listing stays cheap. */
  filesDigest: string;
}

export interface CacheManifest {
  kind: "cache";
  key: string;
  version: string;
  /** Whose cache it is on a shared store (the server: one repository and ref, resolveCacheScopes); absent locally. */
  scope?: string;
  createdAt: string;
  lastUsedAt: string;
  fileCount: number;
  size: number;
  filesDigest: string;
}

export async function readManifest<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export interface ManifestRecord<T> {
  file: string;
  manifest: T;
}

/** Every `*.json` manifest in a directory; one removed while listing is skipped, not an error. */
export async function readManifestRecords<T>(directory: string): Promise<Array<ManifestRecord<T>>> {
  const files = (await readDirectory(directory))
    .filter((name) => name.endsWith(".json"))
    .map((name) => path.join(directory, name));
  const manifests = await Promise.all(files.map((file) => readManifest<T>(file)));
  return files.flatMap((file, index) => {
    const manifest = manifests[index];
    return manifest === undefined ? [] : [{ file, manifest }];
  });
}

async function writeTemp(layout: StoreLayout, target: string, value: unknown): Promise<string> {
  await mkdir(layout.tempDir, { recursive: true });
  await mkdir(path.dirname(target), { recursive: true });
  const temp = layout.newTempPath();
  await writeFile(temp, JSON.stringify(value, null, 2) + "\n", { flag: "wx" });
  return temp;
}

/** Replaces the manifest in one rename, so readers see the old or the new one, never half. */
export async function replaceManifest(layout: StoreLayout, target: string, value: unknown): Promise<void> {
  const temp = await writeTemp(layout, target, value);
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Creates the manifest only if none exists: link() fails with EEXIST atomically, so of two jobs
 * uploading the same artifact name (or saving the same cache key) exactly one wins.
 * Returns false when the manifest already existed.
 */
export async function createManifest(layout: StoreLayout, target: string, value: unknown): Promise<boolean> {
  const temp = await writeTemp(layout, target, value);
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
