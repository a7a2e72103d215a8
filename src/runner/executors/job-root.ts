// Every executor's per-job layout: one root directory per job, named for the run and job so a person can find it,
// holding the five directories of JobDirectories, the workspace a copy of the checkout unless it is bound.
import { mkdtemp } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { JobDirectories, PrepareJobSpec } from "../types.js";
import { copyCheckout } from "./copy-checkout.js";

/** Creates a fresh job root below `baseDir` (which must exist). */
export function makeJobRoot(baseDir: string, spec: PrepareJobSpec): Promise<string> {
  const label = `${spec.runId}-${spec.jobKey}`.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
  return mkdtemp(join(baseDir, `${label}-`));
}

/**
 * The job's directories inside `root`; a bound workspace (see boundWorkspace) is used where it is, and so is a shared
 * tool cache.
 */
export function jobDirectoriesIn(root: string, bound?: string, toolCache?: string): JobDirectories {
  return {
    workspace: bound ?? join(root, "workspace"),
    temp: join(root, "temp"),
    fileCommands: join(root, "file-commands"),
    toolCache: toolCache ? resolve(toolCache) : join(root, "tool-cache"),
    actions: join(root, "actions"),
  };
}

/** The checkout a job works in directly (`--bind`), rather than in a copy of it. */
export function boundWorkspace(spec: PrepareJobSpec): string | undefined {
  return spec.workspace && spec.bindWorkspace ? resolve(spec.workspace) : undefined;
}

/**
 * Fills the job's own (created, empty) workspace with a copy of the checkout it starts from, unless that is bound.
 * `isTrusted`: the job runs as the checkout's owner anyway (host executor), so git's objects may be hard-linked.
 */
export async function fillWorkspace(
  dirs: JobDirectories,
  spec: PrepareJobSpec,
  isTrusted: boolean,
): Promise<void> {
  if (spec.workspace && resolve(spec.workspace) !== dirs.workspace)
    await copyCheckout(spec.workspace, dirs.workspace, { linkGitObjects: isTrusted });
}
