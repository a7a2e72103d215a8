// Keeps one bare mirror per repository and reads commits from it; never checks out a working tree.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import type { SourceFile } from "../../workflow/index.js";
import { HangarError } from "../../runner/index.js";

/** Contract: codes never change meaning; messages may improve. */
export const gitMirrorErrorCodes = {
  MIRROR_GIT_FAILED: "a git command on a repository mirror failed",
  MIRROR_BAD_OBJECT_NAME: "a commit SHA or ref is not in a form git may be given",
  MIRROR_COMMIT_NOT_FOUND: "the commit is not in the repository, even after fetching",
} as const;

export type GitMirrorErrorCode = keyof typeof gitMirrorErrorCodes;

export class GitMirrorError extends HangarError<GitMirrorErrorCode> {}

export const zeroSha = "0000000000000000000000000000000000000000";

// SHA-1 or SHA-256 object names; anything else could be read by git as an option or a revision expression.
const shaPattern = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// Docs "Workflow syntax": workflow files live directly in .github/workflows and end in .yml or .yaml.
const workflowsDir = ".github/workflows";
const workflowFilePattern = /\.ya?ml$/;
// Regular files only (ls-tree modes): a symlink's blob is its target path, not a workflow.
const regularFileModes = new Set(["100644", "100755"]);
// A fetch of a large repository over a slow link can take minutes; a hung remote must not hold a worker forever.
const gitTimeoutMs = 10 * 60 * 1000;
// Workflow files are small, but a fetch can print a lot of progress on stderr.
const maxOutputBytes = 64 * 1024 * 1024;

// Deliveries arrive concurrently; git takes lock files (config, refs, shallow) and fails rather than wait, so this
// process changes each mirror one operation at a time. Reads need no turn.
const mirrorTurns = new Map<string, Promise<unknown>>();

function inTurn<T>(dir: string, change: () => Promise<T>): Promise<T> {
  const previous = mirrorTurns.get(dir) ?? Promise.resolve();
  const result = previous.then(change, change);
  const settled = result.catch(() => undefined);
  mirrorTurns.set(dir, settled);
  void settled.then(() => {
    if (mirrorTurns.get(dir) === settled) mirrorTurns.delete(dir);
  });
  return result;
}

/** Creates the bare mirror for `url` in `dir`, or points an existing one at `url`; safe to call on every event. */
export function ensureMirror(dir: string, url: string): Promise<void> {
  return inTurn(dir, async () => {
    await mkdir(dir, { recursive: true });
    // `git init` on an existing repository only reinitializes it, and `config` overwrites: both are idempotent.
    await runGit(dir, ["init", "--quiet", "--bare"]);
    await runGit(dir, ["config", "remote.origin.url", url]);
  });
}

/**
 * Makes `sha` present in the mirror. A commit already there costs one `cat-file`. Otherwise the commit is fetched
 * by SHA (protocol v2 servers, GitHub and local paths allow it) into `refs/hangar/commits/<sha>` so garbage
 * collection keeps it; servers that refuse fetching by SHA get a fetch of `ref`, then of all branches and tags.
 */
export async function fetchCommit(dir: string, sha: string, ref?: string): Promise<void> {
  assertSha(sha);
  if (ref !== undefined) assertRef(ref);
  if (await hasCommit(dir, sha)) return;
  await inTurn(dir, () => fetchMissingCommit(dir, sha, ref));
}

/**
 * Makes every commit of `wanted` present with one fetch of all the missing ones by SHA (a burst of pushes to one
 * repository costs one round trip); any the server would not hand out by SHA fall back to fetchCommit's refs.
 */
export async function fetchCommits(
  dir: string,
  wanted: readonly { sha: string; ref?: string }[],
): Promise<void> {
  for (const { sha, ref } of wanted) {
    assertSha(sha);
    if (ref !== undefined) assertRef(ref);
  }
  const missing = await findMissing(dir, wanted);
  if (missing.length === 0) return;
  await inTurn(dir, async () => {
    const stillMissing = await findMissing(dir, missing);
    if (stillMissing.length === 0) return;
    const refspecs = [...new Set(stillMissing.map(({ sha }) => `+${sha}:refs/hangar/commits/${sha}`))];
    // A failure here is not the answer: each commit is tried on its own below, with its fallbacks and its error.
    await runGit(dir, ["fetch", "--quiet", "--no-tags", "origin", ...refspecs]).catch(() => undefined);
  });
  for (const { sha, ref } of await findMissing(dir, missing)) await fetchCommit(dir, sha, ref);
}

async function findMissing<T extends { sha: string }>(dir: string, wanted: readonly T[]): Promise<T[]> {
  const present = await Promise.all(wanted.map(({ sha }) => hasCommit(dir, sha)));
  return wanted.filter((_, index) => !present[index]);
}

async function fetchMissingCommit(dir: string, sha: string, ref: string | undefined): Promise<void> {
  // Another delivery may have fetched it while this one waited for its turn.
  if (await hasCommit(dir, sha)) return;
  const attempts: string[][] = [[`+${sha}:refs/hangar/commits/${sha}`]];
  if (ref !== undefined) attempts.push([`+${ref}:${ref}`]);
  attempts.push(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
  const failures: unknown[] = [];
  for (const refspecs of attempts) {
    try {
      await runGit(dir, ["fetch", "--quiet", "--no-tags", "origin", ...refspecs]);
    } catch (error) {
      failures.push(error);
      continue;
    }
    if (await hasCommit(dir, sha)) return;
  }
  const remote = await readRemoteUrl(dir);
  if (failures.length === attempts.length) {
    const last = failures.at(-1) as GitMirrorError;
    throw new GitMirrorError("MIRROR_GIT_FAILED", `cannot fetch from ${remote}: ${last.message}`, {
      cause: new AggregateError(failures),
    });
  }
  throw new GitMirrorError(
    "MIRROR_COMMIT_NOT_FOUND",
    `commit ${sha} was not found in ${remote} (fetched by SHA${ref ? `, ${ref}` : ""} and all branches and tags)`,
    { cause: failures.length > 0 ? new AggregateError(failures) : undefined },
  );
}

/**
 * Fetches `ref` (refs/heads/... or refs/tags/...) into the mirror and returns the commit it points to: the SHA of
 * a workflow_dispatch run, or of a schedule run on the default branch.
 */
export async function fetchRef(dir: string, ref: string): Promise<string> {
  assertRef(ref);
  await inTurn(dir, () => runGit(dir, ["fetch", "--quiet", "--no-tags", "origin", `+${ref}:${ref}`]));
  const sha = await runGit(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return sha.trim();
}

/** The workflow files as they are in commit `sha`, read from git objects, sorted by path. */
export async function readWorkflowFiles(dir: string, sha: string): Promise<SourceFile[]> {
  assertSha(sha);
  await assertCommit(dir, sha);
  // The trailing slash lists the directory's entries; a commit without the directory lists nothing.
  const listing = await runGit(dir, ["ls-tree", "-z", sha, "--", `${workflowsDir}/`]);
  const files: SourceFile[] = [];
  for (const entry of listing.split("\0")) {
    // ls-tree -z: "<mode> SP <type> SP <object> TAB <name>"
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (!match) continue;
    const [, mode, type, oid, name] = match;
    if (type !== "blob" || !regularFileModes.has(mode!) || !workflowFilePattern.test(name!)) continue;
    files.push({ path: name!, content: await runGit(dir, ["cat-file", "blob", oid!]) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Paths changed between two commits, for `paths` filters. Undefined when there is nothing to compare against
 * (a new branch has `before` all zeros) or `before` is not in the mirror: then path filters pass, as GitHub docs
 * "Git diff comparisons" say the workflow runs when a diff cannot be made.
 */
export async function changedFiles(
  dir: string,
  before: string,
  after: string,
): Promise<string[] | undefined> {
  assertSha(after);
  if (!shaPattern.test(before) || /^0+$/.test(before)) return undefined;
  if (!(await hasCommit(dir, before))) return undefined;
  await assertCommit(dir, after);
  // --no-renames: a renamed file changes both its old and its new path, and either may be what a filter names.
  const out = await runGit(dir, ["diff", "--name-only", "--no-renames", "-z", before, after, "--"]);
  return out.split("\0").filter((name) => name !== "");
}

async function hasCommit(dir: string, sha: string): Promise<boolean> {
  return hasObject(dir, `${sha}^{commit}`);
}

async function hasObject(dir: string, name: string): Promise<boolean> {
  try {
    await runGit(dir, ["cat-file", "-e", name]);
    return true;
  } catch {
    return false;
  }
}

async function assertCommit(dir: string, sha: string): Promise<void> {
  if (!(await hasCommit(dir, sha))) {
    throw new GitMirrorError("MIRROR_COMMIT_NOT_FOUND", `commit ${sha} is not in the mirror ${dir}`);
  }
}

async function readRemoteUrl(dir: string): Promise<string> {
  const url = await runGit(dir, ["config", "--get", "remote.origin.url"]).catch(() => "(no remote)");
  return redactUrl(url.trim());
}

function assertSha(sha: string): void {
  if (!shaPattern.test(sha)) {
    throw new GitMirrorError("MIRROR_BAD_OBJECT_NAME", `'${sha}' is not a full lowercase commit SHA`);
  }
}

// git check-ref-format's rules, in short: the characters that could turn a ref into a refspec or revision expression.
function assertRef(ref: string): void {
  if (!/^refs\/[^\s:~^?*[\\]+$/.test(ref) || ref.includes("..") || ref.endsWith("/")) {
    throw new GitMirrorError("MIRROR_BAD_OBJECT_NAME", `'${ref}' is not a fully qualified ref (refs/...)`);
  }
}

// A clone URL may carry a token (https://x-access-token:TOKEN@github.com/...); it must not reach an error message.
function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/@\s]+@/g, "$1***@");
}

function runGit(dir: string, args: string[]): Promise<string> {
  const fullArgs = ["-C", dir, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      fullArgs,
      {
        encoding: "utf8",
        maxBuffer: maxOutputBytes,
        timeout: gitTimeoutMs,
        // Never wait for a password prompt: a server has nobody to answer it.
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = redactUrl(stderr.trim() || error.message);
        reject(
          new GitMirrorError("MIRROR_GIT_FAILED", `git ${redactUrl(fullArgs.join(" "))} failed: ${detail}`, {
            cause: error,
          }),
        );
      },
    );
  });
}
