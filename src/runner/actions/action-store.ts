// The offline action store under <dataDir>/actions: adding actions ahead of time, resolving `uses:` to a directory, listing. Never reaches the network when resolving.
import { randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultDataDir } from "../data-dir.js";
import {
  formatActionReference,
  isFullSha,
  parseActionReference,
  type ActionReference,
} from "./action-reference.js";
import { ActionStoreError } from "./action-store-error.js";
import { fetchActionSource } from "./fetch-action-source.js";

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
  stored: StoredAction;
}

export interface ActionPolicy {
  /** GitHub's "Require actions to be pinned to a full-length commit SHA". */
  requirePinnedSha: boolean;
}

export async function resolveAction(
  dataDir: string,
  reference: ActionReference,
  policy: ActionPolicy,
): Promise<ResolvedAction> {
  const uses = formatActionReference(reference);
  const stored = await readStoredAction(dataDir, reference.owner, reference.repo, reference.ref);
  if (policy.requirePinnedSha && !isFullSha(reference.ref)) {
    const hint = stored?.isCommit
      ? ` The store has ${reference.ref} at ${stored.sha}: use ${formatActionReference({ ...reference, ref: stored.sha })}.`
      : ` Use ${formatActionReference({ ...reference, ref: "<40-character commit SHA>" })}.`;
    throw new ActionStoreError(
      "ACTION_NOT_PINNED",
      `The action ${uses} is not allowed because all actions must be pinned to a full-length commit SHA.${hint}`,
    );
  }
  const refDir = path.join(repoDir(dataDir, reference.owner, reference.repo), refKey(reference.ref));
  if (!stored || !(await isDirectory(refDir))) {
    const dataDirFlag = path.resolve(dataDir) === defaultDataDir() ? "" : ` --data-dir ${dataDir}`;
    throw new ActionStoreError(
      "ACTION_NOT_IN_STORE",
      `Action ${uses} is not in hangar's action store (${path.join(dataDir, "actions")}); hangar does not download actions while running. Add it with: hangar actions add ${reference.owner}/${reference.repo}@${reference.ref} --from DIR_OR_GIT_URL${dataDirFlag}`,
    );
  }
  return { dir: reference.path ? path.join(refDir, ...reference.path.split("/")) : refDir, stored };
}

/**
 * Resolves like resolveAction, then copies the action's whole repository into the job's own actions directory and
 * answers that copy: a sandboxed or microVM job is given its own directories only, never the store, which holds
 * other repositories' private actions.
 */
export async function stageActionForJob(
  dataDir: string,
  reference: ActionReference,
  policy: ActionPolicy,
  jobActionsDir: string,
): Promise<ResolvedAction> {
  const resolved = await resolveAction(dataDir, reference, policy);
  const refDir = path.join(repoDir(dataDir, reference.owner, reference.repo), refKey(reference.ref));
  const jobRefDir = path.join(
    jobActionsDir,
    reference.owner.toLowerCase(),
    reference.repo.toLowerCase(),
    refKey(reference.ref),
  );
  if (!(await isDirectory(jobRefDir)))
    await cp(refDir, jobRefDir, { recursive: true, verbatimSymlinks: true });
  return { ...resolved, dir: path.join(jobRefDir, path.relative(refDir, resolved.dir)) };
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
  const owner = reference.owner.toLowerCase();
  const repo = reference.repo.toLowerCase();
  const dir = repoDir(dataDir, owner, repo);
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(path.join(dir, ".adding-"));
  try {
    const fetched = await fetchActionSource(from, reference.ref, scratch);
    const addedAt = new Date().toISOString();
    const { sha, isCommit, source } = fetched;
    const stored: StoredAction = { owner, repo, ref: reference.ref, sha, isCommit, source, addedAt };
    const refs = [reference.ref];
    if (fetched.isCommit && fetched.sha !== reference.ref.toLowerCase()) refs.push(fetched.sha);
    for (const ref of refs) await installTree(dir, { ...stored, ref }, fetched.treeDir);
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
 * Copies the tree in beside the old one, then swaps by rename, so a resolve never sees half a
 * tree; the manifest is written last, so a stored manifest always has its files.
 */
async function installTree(dir: string, stored: StoredAction, treeDir: string): Promise<void> {
  const key = refKey(stored.ref);
  const target = path.join(dir, key);
  const incoming = await mkdtemp(path.join(dir, ".incoming-"));
  try {
    await cp(treeDir, incoming, {
      recursive: true,
      // Symlinks stay as written: resolving them would point into the scratch clone.
      verbatimSymlinks: true,
      filter: (source) => path.basename(source) !== ".git",
    });
  } catch (error) {
    await rm(incoming, { recursive: true, force: true });
    throw error;
  }
  const replaced = path.join(dir, `.replaced-${randomUUID()}`);
  await rename(target, replaced).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  await rename(incoming, target);
  await rm(replaced, { recursive: true, force: true });
  const manifest = path.join(dir, `${key}.json`);
  await writeFile(`${manifest}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  await rename(`${manifest}.tmp`, manifest);
}

async function readStoredAction(
  dataDir: string,
  owner: string,
  repo: string,
  ref: string,
): Promise<StoredAction | undefined> {
  try {
    const text = await readFile(path.join(repoDir(dataDir, owner, repo), `${refKey(ref)}.json`), "utf8");
    return JSON.parse(text) as StoredAction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Owner and repository names are case-insensitive on GitHub; refs are not. */
function repoDir(dataDir: string, owner: string, repo: string): string {
  return path.join(dataDir, "actions", owner.toLowerCase(), repo.toLowerCase());
}

/**
 * One path segment per ref: `/` and `%` are escaped, and a trailing `.json` too, so that the
 * directory of ref `x.json` can never be the manifest of ref `x`.
 */
function refKey(ref: string): string {
  const key = isFullSha(ref) ? ref.toLowerCase() : encodeURIComponent(ref);
  return key.replace(/\.json$/, "%2Ejson");
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
