// A directory of the runner's own (a fresh git checkout) as the entries the file agent writes into a job: files,
// directories and symlinks (as links, never followed), parents before children.
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import type { OutgoingEntry } from "./job-file-agent.js";

export async function* readTreeEntries(root: string, relative = ""): AsyncGenerator<OutgoingEntry> {
  for (const name of (await readdir(path.join(root, relative))).sort()) {
    const entryPath = relative === "" ? name : `${relative}/${name}`;
    const file = path.join(root, entryPath);
    const stats = await lstat(file);
    const mode = stats.mode & 0o7777;
    if (stats.isSymbolicLink()) {
      yield { entry: { path: entryPath, kind: "symlink", mode, target: await readlink(file) } };
    } else if (stats.isDirectory()) {
      yield { entry: { path: entryPath, kind: "directory", mode } };
      yield* readTreeEntries(root, entryPath);
    } else if (stats.isFile()) {
      yield { entry: { path: entryPath, kind: "file", mode }, open: () => createReadStream(file) };
    }
  }
}
