// `hangar gc` for the action store: removes trees no ref's manifest points at and scratch left by a crashed fetch.
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { listActions } from "./action-store.js";
import { repoDir, scratchPrefix, treesFolder } from "./action-store-layout.js";

/**
 * A tree or scratch directory younger than this is kept: a fetch moves its tree in before it writes the manifest
 * that points at it, and its scratch directory lives as long as the fetch.
 */
export const actionGraceMs = 60 * 60 * 1000;

export interface ActionGcReport {
  trees: { count: number; bytes: number };
}

export async function collectActionGarbage(dataDir: string, now: Date): Promise<ActionGcReport> {
  const report: ActionGcReport = { trees: { count: 0, bytes: 0 } };
  const referenced = new Map<string, Set<string>>();
  for (const stored of await listActions(dataDir)) {
    const dir = repoDir(dataDir, stored.owner, stored.repo);
    if (!referenced.has(dir)) referenced.set(dir, new Set());
    referenced.get(dir)!.add(stored.sha.toLowerCase());
  }
  for (const dir of await listRepositoryDirs(dataDir)) {
    const shas = referenced.get(dir) ?? new Set<string>();
    const candidates = [
      ...(await readNames(path.join(dir, treesFolder)))
        .filter((sha) => !shas.has(sha))
        .map((sha) => path.join(dir, treesFolder, sha)),
      ...(await readNames(dir))
        .filter((name) => name.startsWith(scratchPrefix))
        .map((name) => path.join(dir, name)),
    ];
    for (const candidate of candidates) {
      const stats = await lstat(candidate).catch(() => undefined);
      if (!stats || now.getTime() - stats.mtimeMs < actionGraceMs) continue;
      const bytes = await measureBytes(candidate);
      await rm(candidate, { recursive: true, force: true });
      report.trees.count++;
      report.trees.bytes += bytes;
    }
  }
  return report;
}

async function listRepositoryDirs(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "actions");
  const dirs: string[] = [];
  for (const owner of await readNames(root)) {
    for (const repo of await readNames(path.join(root, owner))) dirs.push(path.join(root, owner, repo));
  }
  return dirs;
}

async function readNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function measureBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const stats = await lstat(path.join(dir, name)).catch(() => undefined);
    if (stats?.isFile()) bytes += stats.size;
  }
  return bytes;
}
