// Where hangar's own files are, the same whether it runs from src/ (tests, through tsx) or from the dist/ bundle.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function nearestPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The directory of hangar's package.json. */
export const packageRoot = nearestPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A file of the package, by its path from the package root. */
export function packageFile(relative: string): string {
  return path.join(packageRoot, relative);
}
