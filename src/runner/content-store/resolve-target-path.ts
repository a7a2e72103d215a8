// Joins a stored relative path onto a destination, refusing any path that would land outside it.
import path from "node:path";
import { ContentStoreError } from "./content-store-error.js";

/** Manifests are ours, but a hand-edited or corrupt one must never write outside the destination. */
export function resolveTargetPath(base: string, relative: string): string {
  const target = path.resolve(base, relative);
  if (path.isAbsolute(relative) || !target.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) {
    throw new ContentStoreError(
      "STORE_MANIFEST_INVALID",
      `A stored path '${relative}' would be written outside ${base}; the manifest is corrupt.`,
    );
  }
  return target;
}
