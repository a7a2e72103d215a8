// upload-artifact v4's artifact root: which directory the uploaded paths are relative to.
import path from "node:path";

/**
 * upload-artifact search.ts (findFilesToUpload): with several search paths the root is their least
 * common ancestor; a single file named without a wildcard is stored without its directories;
 * otherwise the root is the one search path (the literal part before the first wildcard).
 */
export function findArtifactRoot(searchPaths: readonly string[], files: readonly string[]): string {
  if (searchPaths.length > 1) return findLeastCommonAncestor(searchPaths);
  const [only] = searchPaths;
  if (only === undefined) return path.parse(files[0] ?? "/").root;
  if (files.length === 1 && files[0] === only) return path.dirname(only);
  return only;
}

function findLeastCommonAncestor(paths: readonly string[]): string {
  const split = paths.map((p) => path.normalize(p).split(path.sep));
  const shortest = Math.min(...split.map((segments) => segments.length));
  const common: string[] = [];
  for (let index = 0; index < shortest; index++) {
    const segment = split[0]![index]!;
    if (!split.every((segments) => segments[index] === segment)) break;
    common.push(segment);
  }
  // Absolute paths split into a leading "" segment; joining [""] alone would give ".", not "/".
  return common.join(path.sep) || path.sep;
}
