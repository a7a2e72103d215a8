// Makes a pull request in a real git repository the way GitHub stores one: its head at refs/pull/N/head and a test
// merge into the base branch at refs/pull/N/merge, on no branch; and the webhook payload GitHub would send for it.
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export interface PullRequest {
  number: number;
  baseSha: string;
  headSha: string;
  mergeSha: string;
  /** A pull_request (or pull_request_target) payload for `action`, on repository `fullName`. */
  payload(action: string, fullName: string): Record<string, unknown>;
}

/** Commits `files` on a branch off `base`, stores it as pull request `number`, then deletes the branch. */
export async function makePullRequest(
  repo: string,
  options: { number: number; base?: string; files: Record<string, string> },
): Promise<PullRequest> {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, ...args], { stdio: "pipe" })
      .toString()
      .trim();
  const base = options.base ?? "main";
  const branch = `pr-${options.number}`;
  const baseSha = git("rev-parse", base);
  git("checkout", "-q", "-b", branch, base);
  for (const [name, content] of Object.entries(options.files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), content);
  }
  git("add", "-A");
  git("commit", "-q", "-m", `pull request ${options.number}`);
  const headSha = git("rev-parse", "HEAD");
  git("checkout", "-q", "--detach", base);
  git("merge", "-q", "--no-ff", "-m", `Merge ${headSha} into ${baseSha}`, branch);
  const mergeSha = git("rev-parse", "HEAD");
  git("checkout", "-q", base);
  git("update-ref", `refs/pull/${options.number}/head`, headSha);
  git("update-ref", `refs/pull/${options.number}/merge`, mergeSha);
  git("branch", "-q", "-D", branch);
  return {
    number: options.number,
    baseSha,
    headSha,
    mergeSha,
    payload: (action, fullName) => ({
      action,
      number: options.number,
      pull_request: {
        number: options.number,
        merge_commit_sha: mergeSha,
        head: { sha: headSha, ref: branch },
        base: { sha: baseSha, ref: base },
      },
      repository: {
        full_name: fullName,
        name: fullName.split("/")[1],
        owner: { login: fullName.split("/")[0] },
      },
      sender: { login: "octocat" },
    }),
  };
}
