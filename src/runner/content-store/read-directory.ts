// Lists a store directory that may not exist yet (a fresh data directory has none of them).
import { readdir } from "node:fs/promises";

export async function readDirectory(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
