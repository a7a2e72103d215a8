// Expands an action's `path` input with @actions/glob, GitHub's own matcher, in a child process rooted at the workspace.
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { ContentStoreError } from "./content-store-error.js";
import { mapConcurrently } from "./map-concurrently.js";

export interface MatchOptions {
  /** upload-artifact v4 `include-hidden-files`; actions/cache always includes them. */
  includeHiddenFiles: boolean;
}

export interface MatchedFile {
  /** Absolute; a symlink stays named as the link but `mode` is its target's, as upload-artifact reads it. */
  path: string;
  mode: number;
}

export interface MatchResult {
  /** Regular files in glob order; directories are dropped as upload-artifact drops them. */
  files: MatchedFile[];
  /** @actions/glob's search paths: the literal prefix of each pattern, used for the artifact root. */
  searchPaths: string[];
}

/**
 * A child process, as for hashFiles: @actions/glob resolves relative patterns against
 * process.cwd() and writes `::debug::` lines to process.stdout, which in hangar carries results.
 * Results come back one per line behind a prefix, so debug lines are told apart and dropped.
 */
const globScript = `
const glob = await import(process.env.HANGAR_GLOB_MODULE);
let out = "";
const emit = (line) => {
  out += line + "\\n";
  if (out.length > 65536) { process.stdout.write(out); out = ""; }
};
try {
  const globber = await glob.create(process.env.HANGAR_PATTERNS, JSON.parse(process.env.HANGAR_GLOB_OPTIONS));
  for await (const file of globber.globGenerator()) emit("path:" + JSON.stringify(file));
  emit("search-paths:" + JSON.stringify(globber.getSearchPaths()));
} catch (error) {
  emit("error:" + JSON.stringify(error && error.message ? error.message : String(error)));
  process.exitCode = 1;
}
process.stdout.write(out);
`;

export async function matchFiles(
  workspace: string,
  patterns: string,
  options: MatchOptions,
): Promise<MatchResult> {
  const isDirectory = await stat(workspace).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new ContentStoreError("STORE_WORKSPACE_MISSING", `The workspace ${workspace} is not a directory.`);
  }
  const globOptions = {
    followSymbolicLinks: true,
    implicitDescendants: true,
    omitBrokenSymbolicLinks: true,
    excludeHiddenFiles: !options.includeHiddenFiles,
  };
  const child = spawn(process.execPath, ["--input-type=module", "--eval", globScript], {
    cwd: workspace,
    env: {
      ...process.env,
      HANGAR_GLOB_MODULE: import.meta.resolve("@actions/glob"),
      HANGAR_PATTERNS: patterns,
      HANGAR_GLOB_OPTIONS: JSON.stringify(globOptions),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderr = (stderr + text).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
  const paths: string[] = [];
  let searchPaths: string[] = [];
  let failure: string | undefined;
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line.startsWith("path:")) paths.push(JSON.parse(line.slice(5)) as string);
    else if (line.startsWith("search-paths:")) searchPaths = JSON.parse(line.slice(13)) as string[];
    else if (line.startsWith("error:")) failure = JSON.parse(line.slice(6)) as string;
  }
  const code = await exited;
  if (code !== 0) {
    const detail = failure ?? (stderr.trim().split("\n").slice(-3).join(" ") || `exit code ${code}`);
    throw new ContentStoreError(
      "STORE_INVALID_PATTERN",
      `Cannot search the path input under ${workspace}: ${detail}`,
    );
  }
  // stat, not lstat: a symlink counts as the file or directory it points to (upload-artifact search.ts).
  const targets = await mapConcurrently(paths, 32, (file) => stat(file));
  const files = paths.flatMap((file, index) => {
    const target = targets[index]!;
    return target.isDirectory() ? [] : [{ path: file, mode: target.mode & 0o7777 }];
  });
  return { files, searchPaths };
}
