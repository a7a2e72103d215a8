// Writing a commit's files out of a git repository with `git archive`, which fails on any object it cannot read.
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { x as extractTar } from "tar";
import { ActionStoreError } from "./action-store-error.js";

/**
 * `git archive` rather than a checkout: a checkout with a missing or corrupt blob leaves the file out and still exits
 * 0, so an incomplete action would be stored and fail only when a job runs it. It also honours `export-ignore`, as
 * the archives GitHub's runner downloads do.
 */
export async function exportCommit(repo: string, sha: string, destination: string): Promise<void> {
  await mkdir(destination, { recursive: true });
  const git = spawn("git", ["-C", repo, "archive", "--format=tar", sha], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  git.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    git.on("error", reject);
    git.on("close", resolve);
  });
  const extracted = pipeline(git.stdout, extractTar({ cwd: destination, preserveOwner: false }));
  const [code, extractError] = await Promise.all([
    exited,
    extracted.then(
      () => undefined,
      (error: unknown) => error,
    ),
  ]);
  if (code !== 0) {
    throw new ActionStoreError(
      "ACTION_TREE_INCOMPLETE",
      `The commit ${sha} in ${repo} cannot be read completely, so it was not stored: ${stderr.trim() || `git archive exited ${code}`}`,
    );
  }
  if (extractError) throw extractError;
}
