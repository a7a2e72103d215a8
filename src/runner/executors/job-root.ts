// Every executor's per-job layout: one root directory per job, named for the run and job so a person can find it,
// holding the five directories of JobDirectories.
import { mkdtemp } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { JobDirectories, PrepareJobSpec } from "../types.js";

/** Creates a fresh job root below `baseDir` (which must exist). */
export function makeJobRoot(baseDir: string, spec: PrepareJobSpec): Promise<string> {
  const label = `${spec.runId}-${spec.jobKey}`.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
  return mkdtemp(join(baseDir, `${label}-`));
}

/** The job's directories inside `root`; a workspace given here (a local checkout) is used where it is. */
export function jobDirectoriesIn(root: string, workspace?: string): JobDirectories {
  return {
    workspace: workspace ? resolve(workspace) : join(root, "workspace"),
    temp: join(root, "temp"),
    fileCommands: join(root, "file-commands"),
    toolCache: join(root, "tool-cache"),
    actions: join(root, "actions"),
  };
}
