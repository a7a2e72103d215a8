// Getting an action's files for `hangar actions add`: a git clone at a ref, or a plain directory, and the SHA to record. Does not write the store.
import { createHash } from "node:crypto";
import { cp, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ActionStoreError } from "./action-store-error.js";
import { isFullSha } from "./action-reference.js";
import { exportCommit } from "./export-commit.js";
import { runGit, tryGit } from "./run-git.js";

export interface FetchedSource {
  /** The action's files, in the scratch directory given to the fetch: the store moves them in. Absent: it has them. */
  treeDir?: string;
  /** A 40-hex commit, or a sha256 digest of the files when the source is not a git repository. */
  sha: string;
  isCommit: boolean;
  /** As recorded in the manifest: an absolute path or the URL as given. */
  source: string;
}

/**
 * A URL, a bare repository, or the root of a work tree that has `ref` is cloned and checked out at
 * `ref` (a tag, then a branch, then a full commit SHA, as git's own lookup order prefers tags).
 * Any other directory is taken as it is, recorded at its git HEAD if it has one.
 */
export async function fetchActionSource(
  from: string,
  ref: string,
  scratchDir: string,
): Promise<FetchedSource> {
  if (isGitUrl(from)) return cloneAt(from, ref, scratchDir);
  const dir = path.resolve(from);
  if (!(await isDirectory(dir))) {
    throw new ActionStoreError(
      "ACTION_SOURCE_INVALID",
      `--from '${from}' is neither a directory nor a git URL (https://..., ssh://..., git@host:path, file://...).`,
    );
  }
  if ((await isBareRepository(dir)) || ((await isWorkTreeRoot(dir)) && (await findCommit(dir, ref)))) {
    return cloneAt(dir, ref, scratchDir);
  }
  const head = await readHead(dir);
  const identity = head ? { sha: head, isCommit: true } : { sha: await digestTree(dir), isCommit: false };
  const treeDir = path.join(scratchDir, "tree");
  await cp(dir, treeDir, {
    recursive: true,
    // Symlinks stay as written: resolving them would point outside the action.
    verbatimSymlinks: true,
    filter: (source) => path.basename(source) !== ".git",
  });
  return { treeDir, ...identity, source: dir };
}

function isGitUrl(from: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^[^/\s]+@[^/\s]+:/.test(from);
}

async function cloneAt(source: string, ref: string, scratchDir: string): Promise<FetchedSource> {
  const clone = path.join(scratchDir, "clone");
  await runGit(["clone", "--quiet", "--no-checkout", "--", source, clone]);
  const sha = await findCommit(clone, ref);
  if (!sha) {
    throw new ActionStoreError(
      "ACTION_REF_NOT_FOUND",
      `'${ref}' is neither a tag, a branch nor a full commit SHA in ${source}.`,
    );
  }
  const treeDir = path.join(scratchDir, "tree");
  await exportCommit(clone, sha, treeDir);
  return { treeDir, sha, isCommit: true, source };
}

async function findCommit(repo: string, ref: string): Promise<string | undefined> {
  const candidates = [`refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/origin/${ref}`];
  // Short SHAs are refused, as GitHub refuses them in `uses:`.
  if (isFullSha(ref)) candidates.push(ref);
  for (const candidate of candidates) {
    const sha = await tryGit(["-C", repo, "rev-parse", "--verify", "--quiet", `${candidate}^{commit}`]);
    if (sha) return sha;
  }
  return undefined;
}

async function isBareRepository(dir: string): Promise<boolean> {
  return (await tryGit(["-C", dir, "rev-parse", "--is-bare-repository"])) === "true";
}

async function isWorkTreeRoot(dir: string): Promise<boolean> {
  const top = await tryGit(["-C", dir, "rev-parse", "--show-toplevel"]);
  return top !== undefined && (await realpath(top)) === (await realpath(dir));
}

async function readHead(dir: string): Promise<string | undefined> {
  return tryGit(["-C", dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
}

/**
 * sha256 over relative paths, executable bits, symlink targets and contents, in sorted order;
 * hand-written because no installed library hashes a directory tree.
 */
async function digestTree(root: string): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (relative: string): Promise<void> => {
    const entries = (await readdir(path.join(root, relative), { withFileTypes: true }))
      .filter((entry) => entry.name !== ".git")
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = path.posix.join(relative, entry.name);
      const full = path.join(root, name);
      if (entry.isDirectory()) {
        hash.update(`d ${name}\0`);
        await visit(name);
      } else if (entry.isSymbolicLink()) {
        hash.update(`l ${name}\0${await readlink(full)}\0`);
      } else if (entry.isFile()) {
        const isExecutable = ((await stat(full)).mode & 0o111) !== 0;
        const content = await readFile(full);
        hash.update(`f ${name}\0${isExecutable ? "x" : "-"}\0${content.length}\0`);
        hash.update(content);
      }
    }
  };
  await visit("");
  return hash.digest("hex");
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
