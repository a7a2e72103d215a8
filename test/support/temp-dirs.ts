// Temporary directories one test file makes, removed together when its tests are done.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface TempDirs {
  /** A fresh directory below the system's temp dir, named from `prefix`. */
  make(prefix: string): Promise<string>;
  /** Removes it with the others: for directories made elsewhere (makeGitRepo). */
  keep(dir: string): string;
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const dirs: string[] = [];
  return {
    make: async (prefix) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    keep: (dir) => {
      dirs.push(dir);
      return dir;
    },
    removeAll: async () => {
      await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
