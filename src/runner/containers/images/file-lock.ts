// Cross-process exclusive locks on a file, for pulls and unpacks that jobs in several processes may start at once.
// Node has no flock(); util-linux's `flock` (Essential in Debian) holds the kernel lock for us, and because the
// lock lives as long as that child, a crashed hangar never leaves a stale lock behind (no pid files to expire).
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { ContainerError } from "../container-error.js";

export interface HeldLock {
  release(): Promise<void>;
}

/** Prints once the lock is held, then holds it until its stdin closes (we release, or we die). */
const holdScript = "echo locked; exec cat >/dev/null";

/**
 * Takes the lock, waiting for it unless `wait` is false; then resolves undefined when another
 * process holds it.
 */
export async function lockFile(
  file: string,
  options: { wait?: boolean } = {},
): Promise<HeldLock | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  const wait = options.wait ?? true;
  const child = spawn("flock", [...(wait ? [] : ["--nonblock"]), file, "sh", "-c", holdScript], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ContainerError(
          "IMAGE_TOOL_MISSING",
          `flock (Debian package 'util-linux') could not be started to lock ${file}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    child.stdout.once("data", () =>
      resolve({
        release: async () => {
          child.stdin.end();
          await closed;
        },
      }),
    );
    void closed.then((code) => {
      // flock exits 1 at once with --nonblock when someone else holds the lock.
      if (!wait && code === 1 && stderr === "") resolve(undefined);
      else reject(new Error(`flock ${file} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

export async function withFileLock<T>(file: string, action: () => Promise<T>): Promise<T> {
  const lock = (await lockFile(file))!;
  try {
    return await action();
  } finally {
    await lock.release();
  }
}
