// Which directory a path of the job's is walked from: the job's root, which sits in a directory no job may change, or a
// local checkout given as the workspace (on the host executor, where the job is the runner's own user anyway).
import path from "node:path";
import { RunnerError } from "../runner-error.js";
import { makeDirectoryBeneath } from "./open-beneath.js";
import type { JobDirectories } from "../types.js";

export interface AnchoredPath {
  anchor: string;
  /** '/'-separated, below the anchor. */
  relative: string;
}

/** Every executor keeps the job's directories but a given workspace in one root (see job-root.ts). */
export function jobRootOf(dirs: JobDirectories): string {
  return path.dirname(dirs.temp);
}

/** Anchors an absolute path inside the job's root or its given workspace; anything else is refused. */
export function anchorInJob(dirs: JobDirectories, absolute: string): AnchoredPath {
  for (const anchor of [jobRootOf(dirs), dirs.workspace]) {
    const relative = path.relative(anchor, path.resolve(absolute));
    if (relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)) {
      return { anchor, relative: relative.split(path.sep).join("/") };
    }
  }
  throw new RunnerError("RUNNER_PATH_OUTSIDE_JOB", `${absolute} is not inside the job's directories`);
}

/**
 * Checks that `dir` is a real directory of the job's, no link on its way from the anchor, right before a tool the
 * runner starts (crun mounting it into a container) follows the path; the job root and a given workspace are anchors.
 */
export async function assertJobDirectory(dirs: JobDirectories, dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  if (absolute === jobRootOf(dirs) || absolute === path.resolve(dirs.workspace)) return;
  const { anchor, relative } = anchorInJob(dirs, absolute);
  await makeDirectoryBeneath(anchor, relative);
}
