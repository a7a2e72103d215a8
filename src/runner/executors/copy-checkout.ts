// Gives a job its own copy of a local checkout, as GitHub gives every job a fresh one: what `git ls-files` would
// check in (tracked plus untracked-not-ignored files), and a `.git` of its own so git works in the job. Never writes
// the source.
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { copyFile, cp, link, lstat, mkdir, readdir, readlink, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Files copied at once; copies are mostly waiting on the disk, so more than the cores keeps it busy. */
const parallelCopies = 32;

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", ["-C", cwd, ...args], { maxBuffer: 1024 ** 3 });
  return stdout;
}

/**
 * Copies the checkout at `source` into the empty directory `target`. Files are reflinked where the filesystem can
 * (copy-on-write: instant, and a job's writes never reach the source) and copied otherwise; never hard-linked, since a
 * job writing a hard-linked file would write the user's. A directory that is not a git repository's top level is
 * copied whole. `linkGitObjects`: see cloneGitDir.
 */
export async function copyCheckout(
  source: string,
  target: string,
  options: { linkGitObjects: boolean },
): Promise<void> {
  const from = resolve(source);
  const topLevel = await git(from, ["rev-parse", "--show-toplevel"]).then(
    (out) => resolve(out.trim()),
    () => undefined,
  );
  if (topLevel !== from) {
    await cp(from, target, { recursive: true, verbatimSymlinks: true, force: false });
    return;
  }
  const [listed] = await Promise.all([
    git(from, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]),
    cloneGitDir(from, target, options.linkGitObjects),
  ]);
  const paths = [...new Set(listed.split("\0").filter(Boolean))];
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const path = paths[next++]!;
      await copyEntry(join(from, path), join(target, path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelCopies, paths.length) }, worker));
}

async function copyEntry(from: string, to: string): Promise<void> {
  // Listed in the index but deleted in the working tree: stays deleted in the copy, as `git status` shows it.
  const info = await lstat(from).catch(() => undefined);
  if (!info) return;
  await mkdir(dirname(to), { recursive: true });
  if (info.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (info.isFile()) await copyFile(from, to, constants.COPYFILE_FICLONE);
  // A submodule or an untracked nested repository: its files, without git metadata of its own.
  else if (info.isDirectory())
    await cp(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (path) => !path.endsWith("/.git"),
    });
}

/**
 * `.git` for the copy, with the source's refs, HEAD, index and remote URLs, so that `git status`, `git log` and `git
 * diff` in the job say what they say in the source. A plain `.git` directory is copied file by file (reflinked where
 * the filesystem can, so a large history costs nothing); anything else (a worktree's or submodule's `.git` file,
 * objects borrowed through alternates) is cloned. Objects are never shared through alternates, which would not
 * resolve inside a sandbox or a VM. With `linkObjects` they are hard-linked instead (fast; for trusted jobs only):
 * git itself never writes an object file in place, but an untrusted job could, into the source's.
 */
async function cloneGitDir(source: string, target: string, linkObjects: boolean): Promise<void> {
  const sourceGitDir = join(source, ".git");
  const plain =
    (await lstat(sourceGitDir).then(
      (info) => info.isDirectory(),
      () => false,
    )) &&
    !(await lstat(join(sourceGitDir, "objects/info/alternates")).then(
      () => true,
      () => false,
    ));
  if (plain) await copyGitDir(sourceGitDir, join(target, ".git"), linkObjects);
  else await cloneMirror(source, target, linkObjects);
}

/** What of a `.git` a job's copy needs: the rest (hooks, reflogs, worktrees, submodules' repositories) stays. */
const gitDirEntries = ["HEAD", "index", "packed-refs", "refs", "objects", "shallow"];

async function copyGitDir(from: string, to: string, linkObjects: boolean): Promise<void> {
  await mkdir(to);
  for (const entry of gitDirEntries) {
    const info = await lstat(join(from, entry)).catch(() => undefined);
    if (!info) continue;
    if (!info.isDirectory()) await copyFile(join(from, entry), join(to, entry), constants.COPYFILE_FICLONE);
    else
      await cp(join(from, entry), join(to, entry), {
        recursive: true,
        verbatimSymlinks: true,
        // A lock is another git process's unfinished write, not part of the repository.
        filter: (path) =>
          !path.endsWith(".lock") && !(linkObjects && isObjectFile(relative(join(from, "objects"), path))),
        mode: constants.COPYFILE_FICLONE,
      });
  }
  if (linkObjects) await linkObjectFiles(join(from, "objects"), join(to, "objects"));
  await writeFile(join(to, "config"), await copiedConfig(from));
}

/** Pack and loose object files (relative to `objects/`): git writes each once and never in place. */
function isObjectFile(relative: string): boolean {
  return /^(pack\/pack-[0-9a-f]+\.(pack|idx|rev)|[0-9a-f]{2}\/[0-9a-f]{38,62})$/.test(relative);
}

/** Hard-links the object files that copyGitDir left out (see cloneGitDir). */
async function linkObjectFiles(from: string, to: string): Promise<void> {
  for (const file of await readdir(from, { recursive: true, withFileTypes: true })) {
    const name = relative(from, join(file.parentPath, file.name));
    if (file.isFile() && isObjectFile(name)) await link(join(from, name), join(to, name));
  }
}

/**
 * A fresh config keeping only what reading the repository needs (its format and extensions) and the remotes' URLs,
 * as a clone would: the source's hooks path, credential helpers or fsmonitor are the user's, not the job's.
 */
async function copiedConfig(gitDir: string): Promise<string> {
  const listed = await execFileAsync("git", [
    "config",
    "--file",
    join(gitDir, "config"),
    "--null",
    "--get-regexp",
    String.raw`^(core\.repositoryformatversion|extensions\..*|remote\..*\.url)$`,
  ]).then(
    (out) => out.stdout,
    () => "",
  );
  const sections = new Map<string, string[]>([["core", ["\tbare = false"]]]);
  const add = (section: string, line: string) =>
    sections.set(section, [...(sections.get(section) ?? []), line]);
  for (const entry of listed.split("\0").filter(Boolean)) {
    const [key, value = ""] = entry.split("\n");
    const quoted = `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    const remote = /^remote\.(.*)\.url$/s.exec(key!);
    if (remote) {
      const section = `remote "${remote[1]!.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
      add(section, `\turl = ${quoted}`);
      add(section, `\tfetch = ${JSON.stringify(`+refs/heads/*:refs/remotes/${remote[1]}/*`)}`);
    } else {
      const dot = key!.indexOf(".");
      add(key!.slice(0, dot), `\t${key!.slice(dot + 1)} = ${quoted}`);
    }
  }
  return [...sections].map(([section, lines]) => `[${section}]\n${lines.join("\n")}\n`).join("");
}

async function cloneMirror(source: string, target: string, linkObjects: boolean): Promise<void> {
  const [branch, head, indexPath, remotes] = await Promise.all([
    git(source, ["symbolic-ref", "-q", "HEAD"]).then(
      (out) => out.trim(),
      () => undefined,
    ),
    git(source, ["rev-parse", "-q", "--verify", "HEAD"]).then(
      (out) => out.trim(),
      () => undefined,
    ),
    git(source, ["rev-parse", "--git-path", "index"]).then((out) => resolve(source, out.trim())),
    git(source, ["config", "--get-regexp", String.raw`^remote\..*\.url$`]).catch(() => ""),
  ]);
  const gitDir = join(target, ".git");
  await execFileAsync("git", [
    "clone",
    "-q",
    "--mirror",
    ...(linkObjects ? [] : ["--no-hardlinks"]),
    source,
    gitDir,
  ]);
  // As root the sandbox has already handed `target` to the job's uid, which git would call dubious ownership.
  const inCopy = (...args: string[]) => git(target, ["-c", `safe.directory=${target}`, ...args]);
  await inCopy("config", "core.bare", "false");
  await inCopy("config", "--remove-section", "remote.origin");
  for (const line of remotes.split("\n").filter(Boolean)) {
    const [key, url] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
    const name = key.slice("remote.".length, -".url".length);
    await inCopy("config", `remote.${name}.url`, url);
    await inCopy("config", `remote.${name}.fetch`, `+refs/heads/*:refs/remotes/${name}/*`);
  }
  if (branch) await inCopy("symbolic-ref", "HEAD", branch);
  else if (head) await inCopy("update-ref", "--no-deref", "HEAD", head);
  await copyFile(indexPath, join(gitDir, "index"), constants.COPYFILE_FICLONE).catch((error: unknown) => {
    // A repository without a first `git add` has no index yet.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  });
}
