// Copies a tree the runner owns (an action from the store) into a job's directory, where every directory on the way
// may have been replaced by the job: each entry is created beneath the anchor, through no link.
import path from "node:path";
import { createFileBeneath, createSymlinkBeneath, makeDirectoryBeneath } from "./open-beneath.js";
import { readTreeEntries } from "./read-tree-entries.js";

/**
 * Creates `relative` (which must not exist yet: false when it does, and nothing is copied) and copies `source`'s
 * files, directories and symlinks (as links) into it.
 */
export async function copyTreeBeneath(source: string, anchor: string, relative: string): Promise<boolean> {
  const parent = path.posix.dirname(relative);
  if (parent !== ".") await makeDirectoryBeneath(anchor, parent);
  if (!(await makeDirectoryBeneath(anchor, relative, { exclusive: true }))) return false;
  for await (const { entry, open } of readTreeEntries(source)) {
    const target = `${relative}/${entry.path}`;
    if (entry.kind === "directory") await makeDirectoryBeneath(anchor, target);
    else if (entry.kind === "symlink") await createSymlinkBeneath(anchor, target, entry.target ?? "");
    else await createFileBeneath(anchor, target, open!(), entry.mode);
  }
  return true;
}
