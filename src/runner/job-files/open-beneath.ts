// The runner's own reads and writes in directories a job can change (env files, scripts, staged actions): every path
// is walked one component at a time from a directory the job cannot replace, and no symlink is ever followed.
import { constants } from "node:fs";
import { mkdir, open, symlink, unlink, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { RunnerError } from "../runner-error.js";

/**
 * Node has no openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so this gives its guarantee by hand: each component is
 * opened with O_NOFOLLOW relative to the previous one's open descriptor (through /proc/self/fd/N, which the kernel
 * resolves to that very directory). Renaming or swapping a directory for a symlink meanwhile cannot move the walk:
 * it holds the directories it already opened, and a symlink in any place fails the open.
 */
const procFd = (handle: FileHandle, name: string): string => `/proc/self/fd/${handle.fd}/${name}`;

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL, O_WRONLY, O_TRUNC } = constants;

/** Splits a '/'-separated relative path into names, refusing empty, `.` and `..` segments and absolute paths. */
export function splitRelativePath(relative: string): string[] {
  const names = relative.split("/");
  if (
    relative === "" ||
    names.some((name) => name === "" || name === "." || name === ".." || name.includes("\0"))
  ) {
    throw new RunnerError(
      "RUNNER_PATH_OUTSIDE_JOB",
      `'${relative}' is not a relative path without empty, '.' or '..' segments`,
    );
  }
  return names;
}

function refuse(anchor: string, relative: string, error: NodeJS.ErrnoException): never {
  const reason =
    error.code === "ELOOP"
      ? "a symbolic link stands in its place or on its way, and the runner follows none in the job's directories"
      : error.code === "ENOTDIR"
        ? "a symbolic link or a file stands where a directory is expected"
        : error.message;
  throw new RunnerError("RUNNER_PATH_OUTSIDE_JOB", `refused to use ${anchor}/${relative}: ${reason}`, {
    cause: error,
  });
}

/** Opens the directory at `names` below `anchor`, creating missing ones when `create` is set. The caller closes it. */
async function openDirectory(anchor: string, names: readonly string[], create: boolean): Promise<FileHandle> {
  let directory = await open(anchor, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const name of names) {
      if (create) {
        await mkdir(procFd(directory, name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "EEXIST") throw error;
        });
      }
      const next = await open(procFd(directory, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      await directory.close();
      directory = next;
    }
    return directory;
  } catch (error) {
    await directory.close();
    throw error;
  }
}

/** Runs `body` with the parent directory of `relative` open, and the last name. */
async function inParent<T>(
  anchor: string,
  relative: string,
  createParents: boolean,
  body: (parent: FileHandle, name: string) => Promise<T>,
): Promise<T> {
  const names = splitRelativePath(relative);
  const name = names.pop()!;
  let parent: FileHandle;
  try {
    parent = await openDirectory(anchor, names, createParents);
  } catch (error) {
    return refuse(anchor, relative, error as NodeJS.ErrnoException);
  }
  try {
    return await body(parent, name);
  } finally {
    await parent.close();
  }
}

export interface BeneathReadOptions {
  /** Larger files are refused rather than read into memory. */
  maxBytes: number;
  /** The variable or input that named the file, for the error message. */
  describe: string;
}

/**
 * The contents of a regular file the job could have written, or undefined when it does not exist. A symlink, a
 * directory, a device or a hard link to some other file (more than one link) is refused, never read.
 */
export async function readFileBeneath(
  anchor: string,
  relative: string,
  options: BeneathReadOptions,
): Promise<Buffer | undefined> {
  return inParent(anchor, relative, false, async (parent, name) => {
    let handle: FileHandle;
    try {
      handle = await open(procFd(parent, name), O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return refuse(anchor, relative, error as NodeJS.ErrnoException);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile() || stats.nlink !== 1) {
        throw new RunnerError(
          "RUNNER_PATH_OUTSIDE_JOB",
          `${options.describe} (${anchor}/${relative}) must be a regular file of the job's own, not a link or a special file`,
        );
      }
      if (stats.size > options.maxBytes) {
        throw new RunnerError(
          "RUNNER_FILE_TOO_LARGE",
          `${options.describe} is ${stats.size} bytes, over the limit of ${options.maxBytes}`,
        );
      }
      // Read through the handle: the size checked is the file read, even if the job appends meanwhile.
      const buffer = Buffer.alloc(stats.size);
      const { bytesRead } = await handle.read(buffer, 0, stats.size, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  });
}

/** Creates a new file (never one that exists, never through a link) with these contents; parents are created. */
export async function createFileBeneath(
  anchor: string,
  relative: string,
  contents: string | Uint8Array | Readable,
  mode = 0o644,
): Promise<void> {
  await inParent(anchor, relative, true, async (parent, name) => {
    let handle: FileHandle;
    try {
      handle = await open(procFd(parent, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    } catch (error) {
      return refuse(anchor, relative, error as NodeJS.ErrnoException);
    }
    try {
      if (typeof contents === "string" || contents instanceof Uint8Array) await handle.writeFile(contents);
      else for await (const chunk of contents as AsyncIterable<Buffer>) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  });
}

/** Writes a file's contents, replacing a regular file there; a link or anything else in its place is refused. */
export async function writeFileBeneath(
  anchor: string,
  relative: string,
  contents: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  await inParent(anchor, relative, true, async (parent, name) => {
    let handle: FileHandle;
    try {
      handle = await open(procFd(parent, name), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
    } catch (error) {
      return refuse(anchor, relative, error as NodeJS.ErrnoException);
    }
    try {
      if (!(await handle.stat()).isFile()) {
        throw new RunnerError("RUNNER_PATH_OUTSIDE_JOB", `${anchor}/${relative} is not a regular file`);
      }
      await handle.writeFile(contents);
    } finally {
      await handle.close();
    }
  });
}

/**
 * Creates the directory and its missing parents; any of them being a link is refused. With `exclusive`, the last one
 * must be new: false when it already exists.
 */
export async function makeDirectoryBeneath(
  anchor: string,
  relative: string,
  options: { exclusive?: boolean } = {},
): Promise<boolean> {
  if (!options.exclusive) {
    try {
      await (await openDirectory(anchor, splitRelativePath(relative), true)).close();
    } catch (error) {
      refuse(anchor, relative, error as NodeJS.ErrnoException);
    }
    return true;
  }
  return inParent(anchor, relative, true, async (parent, name) => {
    try {
      await mkdir(procFd(parent, name));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      return refuse(anchor, relative, error as NodeJS.ErrnoException);
    }
  });
}

/** Creates a symbolic link; its target is stored as given and never followed by the runner. */
export async function createSymlinkBeneath(anchor: string, relative: string, target: string): Promise<void> {
  await inParent(anchor, relative, true, async (parent, name) => {
    await symlink(target, procFd(parent, name)).catch((error: NodeJS.ErrnoException) =>
      refuse(anchor, relative, error),
    );
  });
}

/** Removes a file (or a link, itself) if it is there; a missing file or parent is fine. */
export async function removeFileBeneath(anchor: string, relative: string): Promise<void> {
  try {
    await inParent(anchor, relative, false, (parent, name) => unlink(procFd(parent, name)));
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException);
    if (cause.code !== "ENOENT") throw error;
  }
}
