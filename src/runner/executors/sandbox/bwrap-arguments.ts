// What a sandboxed job sees: the bwrap command line for one exec (namespaces, read-only system dirs, the job's own dirs). Does not spawn anything.
import { lstat, readlink, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { JobNetwork } from "../../types.js";

/** System directories a job may read but never write; the host's /root, /home, /work, /tmp, /var, /run stay out. */
const systemDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];
/** Files in /etc that are often symlinks into /run (systemd-resolved): their targets come along. */
const etcFilesOutsideEtc = ["/etc/resolv.conf", "/etc/hosts"];
/** The uid and gid a job's processes have inside the sandbox: GitHub's hosted runner user has 1001 too. */
export const sandboxUid = 1001;
export const sandboxHostname = "hangar-job";

export interface SystemMounts {
  args: string[];
  /** Everything these arguments make readable, at the same paths as on the host. */
  dirs: string[];
  warnings: string[];
}

/** bwrap arguments for the host's system dirs and `process.execPath`; computed once per executor. */
export async function findSystemMounts(): Promise<SystemMounts> {
  const args: string[] = [];
  const dirs = [...systemDirs];
  const warnings: string[] = [];
  for (const dir of systemDirs) {
    const info = await lstat(dir).catch(() => undefined);
    if (info?.isSymbolicLink()) args.push("--symlink", await readlink(dir), dir);
    else if (info?.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  for (const file of etcFilesOutsideEtc) {
    const target = await realpath(file).catch(() => undefined);
    if (target && !isInsideAny(target, systemDirs)) {
      args.push("--ro-bind", target, target);
      dirs.push(target);
    }
  }
  // JavaScript actions run as `process.execPath main.js`, so node's install prefix must be visible.
  const node = await realpath(process.execPath);
  const prefix = dirname(dirname(node));
  if (!isInsideAny(node, systemDirs)) {
    if (await isReachableByEveryone(node)) {
      args.push("--ro-bind", prefix, prefix);
      dirs.push(prefix);
    } else
      warnings.push(
        `node at ${node} is not readable by other users, so JavaScript actions cannot run sandboxed`,
      );
  }
  return { args, dirs, warnings };
}

export interface JobMounts {
  system: SystemMounts;
  /** The per-job root holding workspace, temp, file-commands, tool-cache, actions and home; bound read-write. */
  root: string;
  /** The job's own /tmp, a directory inside root. */
  tmp: string;
  /** A workspace given to prepare() (a local checkout), bound read-write at its own path. */
  givenWorkspace?: string;
  /** The runner's shared tool cache, bound read-only at its own path: the runner installs, jobs read. */
  toolCache?: string;
  network: JobNetwork;
}

export interface BwrapCommand {
  cwd: string;
  env: Record<string, string>;
  command: string;
  args: string[];
  /** Passes the seccomp program on this fd. */
  seccompFd?: number;
}

/**
 * bwrap's options (`options`, the job's env among them as --setenv, for bwrap's --args fd) and the
 * command line after them (`command`: `--`, the job's command and its arguments; bwrap wants those in argv).
 */
export function buildBwrapArguments(
  mounts: JobMounts,
  exec: BwrapCommand,
): { options: string[]; command: string[] } {
  const args = [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(mounts.network === "none" ? ["--unshare-net"] : []),
    "--uid",
    String(sandboxUid),
    "--gid",
    String(sandboxUid),
    "--hostname",
    sandboxHostname,
    "--die-with-parent",
    // A new session keeps the job from pushing input into a terminal it inherited (TIOCSTI).
    "--new-session",
    ...mounts.system.args,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // Binds come after /tmp so that a job root below the host's /tmp is mounted on top of the job's own /tmp.
    "--bind",
    mounts.tmp,
    "/tmp",
    "--bind",
    mounts.root,
    mounts.root,
    ...(mounts.givenWorkspace ? ["--bind", mounts.givenWorkspace, mounts.givenWorkspace] : []),
    ...(mounts.toolCache ? ["--ro-bind", mounts.toolCache, mounts.toolCache] : []),
    // The sandbox's root is a tmpfs holding only mount points: nothing a job writes there could outlive it, but refuse it anyway.
    "--remount-ro",
    "/",
    "--chdir",
    exec.cwd,
    "--clearenv",
  ];
  for (const [name, value] of Object.entries(exec.env)) args.push("--setenv", name, value);
  if (exec.seccompFd !== undefined) args.push("--seccomp", String(exec.seccompFd));
  return { options: args, command: ["--", exec.command, ...exec.args] };
}

/** True when `path` is one of `dirs` or below one. */
export function isInsideAny(path: string, dirs: string[]): boolean {
  return dirs.some((dir) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep));
}

/** Whether any uid can reach `path`: every ancestor searchable by others, a directory searchable, a file readable. */
export async function isReachableByEveryone(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if ((info.mode & (info.isDirectory() ? 0o001 : 0o004)) === 0) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0) return false;
      if (dir === dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}

/** The paths of a job a process may start in or run: system dirs, the job's root, a given workspace and its /tmp. */
export function isVisibleToJob(path: string, mounts: JobMounts): boolean {
  const visible = [
    ...mounts.system.dirs,
    mounts.root,
    ...(mounts.givenWorkspace ? [mounts.givenWorkspace] : []),
    ...(mounts.toolCache ? [mounts.toolCache] : []),
    "/tmp",
  ];
  return isInsideAny(path, visible);
}

/**
 * Where a path of the job's view is on the host: the job's /tmp is a directory in its root (bound over /tmp, which a
 * job root may itself be below); everything else visible is at the same path.
 */
export function hostPathOf(path: string, mounts: JobMounts): string {
  const isOwnTmp =
    isInsideAny(path, ["/tmp"]) &&
    !isInsideAny(path, [
      mounts.root,
      ...(mounts.givenWorkspace ? [mounts.givenWorkspace] : []),
      ...(mounts.toolCache ? [mounts.toolCache] : []),
    ]);
  return isOwnTmp ? join(mounts.tmp, relative("/tmp", path)) : path;
}
