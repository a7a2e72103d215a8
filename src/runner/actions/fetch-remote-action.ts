// Fetching an action missing from the store from the configured GitHub over git smart HTTP, as GitHub's runner
// downloads one on first use: the ref resolved to a commit, that commit alone fetched. Does not write the store.
import path from "node:path";
import { isFullSha } from "./action-reference.js";
import { ActionStoreError } from "./action-store-error.js";
import { exportCommit } from "./export-commit.js";
import type { FetchedSource } from "./fetch-action-source.js";
import { runGit } from "./run-git.js";

export interface RemoteRepository {
  /** GitHub's web URL (https://github.com, or a GitHub Enterprise Server's), not its API. */
  githubUrl: string;
  owner: string;
  repo: string;
  /** The job's token; private repositories need it. */
  token?: string;
}

/** The URL actions/checkout clones: `<server>/<owner>/<repo>.git`. */
export function repositoryGitUrl(repository: Pick<RemoteRepository, "githubUrl" | "owner" | "repo">): string {
  return `${repository.githubUrl.replace(/\/+$/, "")}/${repository.owner}/${repository.repo}.git`;
}

/** `isStored`: whether the store has a commit's files already, so that a second ref to them fetches no files. */
export async function fetchRemoteAction(
  repository: RemoteRepository,
  ref: string,
  scratchDir: string,
  isStored: (sha: string) => Promise<boolean>,
): Promise<FetchedSource> {
  const url = repositoryGitUrl(repository);
  const auth = { token: repository.token };
  const sha = isFullSha(ref) ? ref.toLowerCase() : await resolveRemoteRef(url, ref, auth);
  if (await isStored(sha)) return { sha, isCommit: true, source: url };
  const clone = path.join(scratchDir, "clone");
  await runGit(["init", "--quiet", "--bare", clone]);
  try {
    await runGit(["-C", clone, "fetch", "--quiet", "--depth", "1", "--no-tags", "--", url, sha], auth);
  } catch (error) {
    throw explainFetchFailure(error, url, ref, repository.token !== undefined);
  }
  const treeDir = path.join(scratchDir, "tree");
  await exportCommit(clone, sha, treeDir);
  return { treeDir, sha, isCommit: true, source: url };
}

/** Tags before branches, as git's own lookup prefers them; an annotated tag is followed to its commit. */
async function resolveRemoteRef(url: string, ref: string, auth: { token?: string }): Promise<string> {
  let listing: string;
  try {
    listing = await runGit(["ls-remote", "--", url, `refs/tags/${ref}`, `refs/heads/${ref}`], auth);
  } catch (error) {
    throw explainFetchFailure(error, url, ref, auth.token !== undefined);
  }
  const shas = new Map<string, string>();
  for (const line of listing.split("\n").filter(Boolean)) {
    const [sha = "", name = ""] = line.split("\t");
    shas.set(name, sha);
  }
  const sha =
    shas.get(`refs/tags/${ref}^{}`) ?? shas.get(`refs/tags/${ref}`) ?? shas.get(`refs/heads/${ref}`);
  if (!sha) {
    throw new ActionStoreError(
      "ACTION_REF_NOT_FOUND",
      `'${ref}' is neither a tag, a branch nor a full commit SHA in ${url}.`,
    );
  }
  return sha;
}

/** What git says when the host refuses or lacks the repository or commit, rather than failing to send it. */
const refusedOrMissing =
  /not found|Authentication failed|could not read Username|terminal prompts disabled|returned error: 40[134]|not our ref/i;

function explainFetchFailure(error: unknown, url: string, ref: string, hasToken: boolean): unknown {
  if (!(error instanceof ActionStoreError)) return error;
  const hint = !refusedOrMissing.test(error.message)
    ? ""
    : hasToken
      ? "the repository does not exist, the job's token cannot read it, or the commit is not in it. "
      : "the repository does not exist or is private (a private one needs the job's token: github.token). ";
  return new ActionStoreError(
    "ACTION_FETCH_FAILED",
    `Cannot fetch ${ref} from ${url}: ${hint}${error.message}`,
    {
      cause: error,
    },
  );
}
