// Where the action store keeps things under <dataDir>/actions: one folder per repository, a manifest per ref, files
// once per commit SHA. Paths only; reads and writes nothing.
import path from "node:path";
import { isFullSha } from "./action-reference.js";

/** Owner and repository names are case-insensitive on GitHub; refs are not. */
export function repoDir(dataDir: string, owner: string, repo: string): string {
  return path.join(dataDir, "actions", owner.toLowerCase(), repo.toLowerCase());
}

/**
 * One path segment per ref: `/` and `%` are escaped, and a trailing `.json` too, so that the
 * directory of ref `x.json` can never be the manifest of ref `x`.
 */
export function refKey(ref: string): string {
  const key = isFullSha(ref) ? ref.toLowerCase() : encodeURIComponent(ref);
  return key.replace(/\.json$/, "%2Ejson");
}

/** Scratch directories of adds and fetches; one left by a crash is removed by `hangar gc`. */
export const scratchPrefix = ".adding-";

/** `.trees` cannot be a ref's key: refs never start with a dot. */
export function treePath(dir: string, sha: string): string {
  return path.join(dir, treesFolder, sha.toLowerCase());
}

export const treesFolder = ".trees";
