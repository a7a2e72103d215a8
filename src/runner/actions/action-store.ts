// The action store under <dataDir>/actions: adding actions ahead of time, resolving `uses:` to a directory (fetching
// a missing one from the configured GitHub unless offline), listing. Files are kept once per commit SHA.
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultDataDir } from "../data-dir.js";
import {
  formatActionReference,
  isFullSha,
  parseActionReference,
  type ActionReference,
} from "./action-reference.js";
import { ActionStoreError } from "./action-store-error.js";
import { refKey, repoDir, scratchPrefix, treePath } from "./action-store-layout.js";
import { fetchActionSource, type FetchedSource } from "./fetch-action-source.js";
import { fetchRemoteAction, repositoryGitUrl } from "./fetch-remote-action.js";
import { copyTreeBeneath } from "../job-files/copy-tree-beneath.js";
import { anchorInJob } from "../job-files/job-anchor.js";
import type { JobDirectories } from "../types.js";

/** The manifest `<dataDir>/actions/<owner>/<repo>/<ref>.json`. Contract: its fields are read by `actions ls --json`. */
export interface StoredAction {
  owner: string;
  repo: string;
  ref: string;
  /** The 40-hex commit the ref resolved to, or a sha256 digest of the files when `isCommit` is false. */
  sha: string;
  isCommit: boolean;
  /** Where the files came from: a directory or a git URL. */
  source: string;
  /** ISO 8601. */
  addedAt: string;
}

export interface ResolvedAction {
  /** The action's directory, the reference's path included. */
  dir: string;
  /** The repository's files at the commit: `dir` without the reference's path. */
  root: string;
  stored: StoredAction;
}

/** Where actions missing from the store come from: GitHub's runner downloads each one from its server on first use. */
export interface ActionSource {
  /** GitHub's web URL; repositories are `<githubUrl>/<owner>/<repo>.git` (GitHub Enterprise Server's too). */
  githubUrl: string;
  /** Never fetch: a missing action fails naming the command that adds it. */
  offline: boolean;
}

export interface ActionPolicy {
  /** GitHub's "Require actions to be pinned to a full-length commit SHA". */
  requirePinnedSha: boolean;
  /** Absent: nothing is fetched, the store is all there is. */
  source?: ActionSource;
  /** The job's token, for private repositories. */
  token?: string;
}

export async function resolveAction(
  dataDir: string,
  reference: ActionReference,
  policy: ActionPolicy,
): Promise<ResolvedAction> {
  const uses = formatActionReference(reference);
  const storeDir = repoDir(dataDir, reference.owner, reference.repo);
  let stored = await readStoredAction(storeDir, reference.ref);
  if (policy.requirePinnedSha && !isFullSha(reference.ref)) {
    const hint = stored?.isCommit
      ? ` The store has ${reference.ref} at ${stored.sha}: use ${formatActionReference({ ...reference, ref: stored.sha })}.`
      : ` Use ${formatActionReference({ ...reference, ref: "<40-character commit SHA>" })}.`;
    throw new ActionStoreError(
      "ACTION_NOT_PINNED",
      `The action ${uses} is not allowed because all actions must be pinned to a full-length commit SHA.${hint}`,
    );
  }
  let treeDir = stored && (await findTreeDir(storeDir, stored));
  if (!stored || !treeDir) {
    const { source } = policy;
    if (!source || source.offline) throw notInStore(dataDir, reference, source);
    stored = await fetchOnce(dataDir, reference, source, policy.token);
    treeDir = await findTreeDir(storeDir, stored);
    if (!treeDir) throw notInStore(dataDir, reference, source);
  }
  const dir = reference.path ? path.join(treeDir, ...reference.path.split("/")) : treeDir;
  return { dir, root: treeDir, stored };
}

function notInStore(
  dataDir: string,
  reference: ActionReference,
  source: ActionSource | undefined,
): ActionStoreError {
  const dataDirFlag = path.resolve(dataDir) === defaultDataDir() ? "" : ` --data-dir ${dataDir}`;
  const from = source ? repositoryGitUrl({ ...source, ...reference }) : "DIR_OR_GIT_URL";
  const why = source?.offline
    ? "--offline forbids fetching it"
    : "hangar was given no GitHub to fetch it from";
  return new ActionStoreError(
    "ACTION_NOT_IN_STORE",
    `Action ${formatActionReference(reference)} is not in hangar's action store (${path.join(dataDir, "actions")}) and ${why}. Add it with: hangar actions add ${reference.owner}/${reference.repo}@${reference.ref} --from ${from}${dataDirFlag}`,
  );
}

/** Fetches in flight, by data dir and `owner/repo@ref`: jobs of one process that need one action fetch it once. */
const fetchesInFlight = new Map<string, Promise<StoredAction>>();

/** Other processes are kept apart by the store's renames: each installs whole trees and manifests, or nothing. */
function fetchOnce(
  dataDir: string,
  reference: ActionReference,
  source: ActionSource,
  token: string | undefined,
): Promise<StoredAction> {
  const owner = reference.owner.toLowerCase();
  const repo = reference.repo.toLowerCase();
  const key = `${path.resolve(dataDir)}\0${owner}/${repo}@${reference.ref}`;
  let fetching = fetchesInFlight.get(key);
  if (!fetching) {
    fetching = storeAction(dataDir, owner, repo, reference.ref, (scratch) =>
      fetchRemoteAction(
        {
          githubUrl: source.githubUrl,
          owner: reference.owner,
          repo: reference.repo,
          ...(token ? { token } : {}),
        },
        reference.ref,
        scratch,
        (sha) => isDirectory(treePath(repoDir(dataDir, owner, repo), sha)),
      ),
    ).finally(() => fetchesInFlight.delete(key));
    fetchesInFlight.set(key, fetching);
  }
  return fetching;
}

/** An action resolved in the store and staged for one job. */
export interface StagedAction extends ResolvedAction {
  /** The store's own copy, which only the runner can change: the action's metadata and build context are read here. */
  storeDir: string;
}

/**
 * Resolves like resolveAction, then copies the action's whole repository into the job's own actions directory and
 * answers that copy as `dir`: a sandboxed or microVM job is given its own directories only, never the store, which
 * holds other repositories' private actions. The job can change its copy (it runs inside the job anyway), so the copy
 * is made through no link the job may have planted, and nothing the runner reads comes from it.
 */
export async function stageActionForJob(
  dataDir: string,
  reference: ActionReference,
  policy: ActionPolicy,
  jobDirs: JobDirectories,
): Promise<StagedAction> {
  const resolved = await resolveAction(dataDir, reference, policy);
  const jobRefDir = path.join(
    jobDirs.actions,
    reference.owner.toLowerCase(),
    reference.repo.toLowerCase(),
    refKey(reference.ref),
  );
  const { anchor, relative } = anchorInJob(jobDirs, jobRefDir);
  await copyTreeBeneath(resolved.root, anchor, relative);
  return {
    ...resolved,
    storeDir: resolved.dir,
    dir: path.join(jobRefDir, path.relative(resolved.root, resolved.dir)),
  };
}

/**
 * Adds `owner/repo@ref` from a directory or git repository (see fetchActionSource) and, when the
 * ref resolved to a commit, also as `owner/repo@<sha>`. Returns the ref's manifest.
 */
export async function addAction(dataDir: string, spec: string, from: string): Promise<StoredAction> {
  const reference = parseActionReference(spec);
  if (reference.path !== undefined) {
    throw new ActionStoreError(
      "ACTION_REF_MALFORMED",
      `Add the whole repository, ${reference.owner}/${reference.repo}@${reference.ref}; steps then use ${spec}.`,
    );
  }
  return storeAction(
    dataDir,
    reference.owner.toLowerCase(),
    reference.repo.toLowerCase(),
    reference.ref,
    (scratch) => fetchActionSource(from, reference.ref, scratch),
  );
}

/**
 * Fetches into a scratch directory beside the store, installs the files once under their SHA, then points the ref
 * (and the SHA itself) at them. Replaces a copy of the ref's files from before trees were kept by SHA.
 */
async function storeAction(
  dataDir: string,
  owner: string,
  repo: string,
  ref: string,
  fetch: (scratch: string) => Promise<FetchedSource>,
): Promise<StoredAction> {
  const dir = repoDir(dataDir, owner, repo);
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(path.join(dir, scratchPrefix));
  try {
    const fetched = await fetch(scratch);
    const { sha, isCommit, source } = fetched;
    const stored: StoredAction = {
      owner,
      repo,
      ref,
      sha,
      isCommit,
      source,
      addedAt: new Date().toISOString(),
    };
    if (fetched.treeDir) await installTree(dir, sha, fetched.treeDir);
    const refs = [ref];
    if (isCommit && sha !== ref.toLowerCase()) refs.push(sha);
    for (const each of refs) {
      await writeManifest(dir, { ...stored, ref: each });
      await removeLegacyCopy(dir, each);
    }
    return stored;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function listActions(dataDir: string): Promise<StoredAction[]> {
  const root = path.join(dataDir, "actions");
  const stored: StoredAction[] = [];
  for (const owner of await readDirectoryNames(root)) {
    for (const repo of await readDirectoryNames(path.join(root, owner))) {
      const entries = await readdir(path.join(root, owner, repo), { withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
        stored.push(
          JSON.parse(await readFile(path.join(root, owner, repo, entry.name), "utf8")) as StoredAction,
        );
      }
    }
  }
  return stored.sort((a, b) => compareText(`${a.owner}/${a.repo}@${a.ref}`, `${b.owner}/${b.repo}@${b.ref}`));
}

/**
 * A tree is never replaced: its SHA names its content. Moved in by one rename, so a resolve never sees half a tree;
 * when another process moved in the same SHA first, its tree is as good as ours.
 */
async function installTree(dir: string, sha: string, treeDir: string): Promise<void> {
  const target = treePath(dir, sha);
  if (await isDirectory(target)) return;
  await mkdir(path.dirname(target), { recursive: true });
  await rename(treeDir, target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
  });
}

/** Written last and by rename, so a manifest always has its tree. */
async function writeManifest(dir: string, stored: StoredAction): Promise<void> {
  const manifest = path.join(dir, `${refKey(stored.ref)}.json`);
  const incoming = `${manifest}.${randomUUID()}.tmp`;
  await writeFile(incoming, `${JSON.stringify(stored, null, 2)}\n`);
  await rename(incoming, manifest);
}

/** Stores before SHA-keyed trees kept a full copy per ref at `<repo>/<ref>`; still read until the ref is added again. */
async function removeLegacyCopy(dir: string, ref: string): Promise<void> {
  const legacy = path.join(dir, refKey(ref));
  if (!(await isDirectory(legacy))) return;
  const doomed = path.join(dir, `${scratchPrefix}${randomUUID()}`);
  await rename(legacy, doomed);
  await rm(doomed, { recursive: true, force: true });
}

async function findTreeDir(dir: string, stored: StoredAction): Promise<string | undefined> {
  for (const candidate of [treePath(dir, stored.sha), path.join(dir, refKey(stored.ref))]) {
    if (await isDirectory(candidate)) return candidate;
  }
  return undefined;
}

async function readStoredAction(dir: string, ref: string): Promise<StoredAction | undefined> {
  try {
    const text = await readFile(path.join(dir, `${refKey(ref)}.json`), "utf8");
    return JSON.parse(text) as StoredAction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function readDirectoryNames(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith(".")).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
