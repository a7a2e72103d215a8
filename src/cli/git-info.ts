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
  const [sha, branch, remote, actor, parent] = await Promise.all([
    git(dir, "rev-parse", "HEAD"),
    git(dir, "symbolic-ref", "-q", "HEAD"),
    git(dir, "remote", "get-url", "origin"),
    git(dir, "config", "user.name"),
    git(dir, "rev-parse", "-q", "--verify", "HEAD^"),
  ]);
  const [owner, name] = ownerAndName(remote) ?? ["local", path.basename(path.resolve(dir))];
  return {
    sha: sha ?? zeroSha,
    ref: branch ?? "refs/heads/main",
    owner,
    name,
    actor: actor || process.env["USER"] || "hangar",
    parent: parent ?? zeroSha,
  };
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
