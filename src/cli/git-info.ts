// Reads what a local run needs to know about its repository from git: commit, ref, owner/name, changed files.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface GitInfo {
  sha: string;
  ref: string;
  owner: string;
  name: string;
  actor: string;
  /** The commit before HEAD, for a synthetic push payload's `before`. */
  parent: string;
  /** The repository's default branch: origin's HEAD, else main or master if present, else the current branch. */
  defaultBranch: { name: string; sha: string };
  /** A tag pointing at HEAD, for a synthetic release payload. */
  tag?: string;
  /** The subject of HEAD's commit, for a synthetic pull request's title. */
  subject: string;
}

const zeroSha = "0000000000000000000000000000000000000000";

async function git(dir: string, ...args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, ...args]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** A directory that is not a git repository still runs, with placeholder identity, as act does. */
export async function readGitInfo(dir: string): Promise<GitInfo> {
  const [sha, branch, remote, actor, parent, originHead, tag, subject] = await Promise.all([
    git(dir, "rev-parse", "HEAD"),
    git(dir, "symbolic-ref", "-q", "HEAD"),
    git(dir, "remote", "get-url", "origin"),
    git(dir, "config", "user.name"),
    git(dir, "rev-parse", "-q", "--verify", "HEAD^"),
    git(dir, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"),
    git(dir, "describe", "--tags", "--exact-match", "HEAD"),
    git(dir, "log", "-1", "--format=%s"),
  ]);
  const [owner, name] = ownerAndName(remote) ?? ["local", path.basename(path.resolve(dir))];
  const ref = branch ?? "refs/heads/main";
  return {
    sha: sha ?? zeroSha,
    ref,
    owner,
    name,
    actor: actor || process.env["USER"] || "hangar",
    parent: parent ?? zeroSha,
    defaultBranch: await readDefaultBranch(dir, originHead, ref, sha ?? zeroSha),
    ...(tag ? { tag } : {}),
    subject: subject || "local changes",
  };
}

async function readDefaultBranch(
  dir: string,
  originHead: string | undefined,
  ref: string,
  headSha: string,
): Promise<{ name: string; sha: string }> {
  if (originHead) {
    const sha = await git(dir, "rev-parse", "-q", "--verify", `refs/remotes/${originHead}`);
    if (sha) return { name: originHead.replace(/^origin\//, ""), sha };
  }
  for (const name of ["main", "master"]) {
    const sha = await git(dir, "rev-parse", "-q", "--verify", `refs/heads/${name}`);
    if (sha) return { name, sha };
  }
  return { name: ref.replace(/^refs\/heads\//, ""), sha: headSha };
}

function ownerAndName(remote: string | undefined): [string, string] | undefined {
  const match = remote?.match(/[/:]([^/:]+)\/([^/]+?)(\.git)?\/?$/);
  return match ? [match[1]!, match[2]!] : undefined;
}

/** Files changed between two commits; undefined when git cannot tell (then path filters cannot be applied). */
export async function readChangedFiles(
  dir: string,
  before: string,
  after: string,
): Promise<string[] | undefined> {
  const range =
    before === zeroSha || !before
      ? ["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", after]
      : ["diff", "--name-only", before, after];
  const out = await git(dir, ...range);
  return out === undefined ? undefined : out.split("\n").filter(Boolean);
}
