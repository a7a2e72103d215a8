// Where a pull request's commits live on GitHub and which files it changes; reads git only through the mirror.
import { changedFiles, fetchCommit } from "./git-mirror.js";

interface PullRequestCommits {
  number: number;
  headSha: string;
  /** GitHub's test merge of the head into the base branch; null while GitHub computes it or on conflicts. */
  mergeSha: string | undefined;
  baseSha: string | undefined;
  baseRef: string | undefined;
}

function readPullRequest(payload: Record<string, unknown>): PullRequestCommits | undefined {
  const pr = payload["pull_request"] as
    | {
        number?: unknown;
        merge_commit_sha?: unknown;
        head?: { sha?: unknown };
        base?: { sha?: unknown; ref?: unknown };
      }
    | undefined;
  if (typeof pr?.number !== "number" || typeof pr.head?.sha !== "string") return undefined;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  return {
    number: pr.number,
    headSha: pr.head.sha,
    mergeSha: text(pr.merge_commit_sha),
    baseSha: text(pr.base?.sha),
    baseRef: text(pr.base?.ref),
  };
}

/**
 * The ref that holds `sha` for a pull request event. GitHub keeps each pull request's head at refs/pull/N/head and
 * its test merge at refs/pull/N/merge (docs "Checking out pull requests locally"); they are the names a mirror
 * fetches when the server will not hand out a commit by SHA, since neither is on any branch.
 */
export function pullRequestRefFor(payload: Record<string, unknown>, sha: string): string | undefined {
  const pr = readPullRequest(payload);
  if (!pr) return undefined;
  if (sha === pr.mergeSha) return `refs/pull/${pr.number}/merge`;
  if (sha === pr.headSha) return `refs/pull/${pr.number}/head`;
  return undefined;
}

/**
 * Files a pull request changes, for `paths` filters: from the base commit in the payload to the test merge (or the
 * head), which is docs "Git diff comparisons"' three-dot diff while the base branch has not moved since. Undefined,
 * so path filters pass as the docs say, when either commit cannot be fetched.
 */
export async function pullRequestChangedFiles(
  dir: string,
  payload: Record<string, unknown>,
): Promise<string[] | undefined> {
  const pr = readPullRequest(payload);
  if (!pr?.baseSha) return undefined;
  const tip = pr.mergeSha ?? pr.headSha;
  try {
    await fetchCommit(dir, tip, pullRequestRefFor(payload, tip));
    await fetchCommit(dir, pr.baseSha, pr.baseRef === undefined ? undefined : `refs/heads/${pr.baseRef}`);
  } catch {
    return undefined;
  }
  return changedFiles(dir, pr.baseSha, tip);
}
