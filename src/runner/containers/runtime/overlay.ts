// A container's root: kernel overlayfs with the image read-only below and the container's writes in its own dir.
import { chmod, chown, mkdir, readFile, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ContainerError } from "../container-error.js";
import { requireTool, runTool } from "./host-tools.js";

/**
 * Where containers' roots are mounted. In a user namespace crun reaches the root by path as container root, an
 * unprivileged host uid, so every directory above it must be searchable by others: a job's dirs (mkdtemp, 0700,
 * often below /root) are not, these are.
 */
const containerRootsDir = "/run/hangar/rootfs";

/** An empty directory for one container's root (`name` unique on this host), searchable from / down. */
export async function makeRootMountPoint(name: string): Promise<string> {
  for (const dir of ["/run/hangar", containerRootsDir]) {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o711);
  }
  const mountPoint = join(containerRootsDir, name);
  await mkdir(mountPoint, { recursive: true });
  return mountPoint;
}

/** Mounts lower (never written) + dir/upper + dir/work at merged (from makeRootMountPoint). */
export async function mountOverlay(lower: string, dir: string, merged: string): Promise<void> {
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  for (const path of [lower, upper, work, merged]) {
    // overlayfs separates its options with commas and lowerdirs with colons; such paths cannot be passed safely.
    if (/[,:]/.test(path)) {
      throw new ContainerError(
        "CONTAINER_START_FAILED",
        `overlay path '${path}' must not contain ',' or ':'`,
      );
    }
  }
  await Promise.all([upper, work].map((path) => mkdir(path, { recursive: true })));
  // The merged root takes the upper dir's owner and mode: the image's, so a shifted image's root stays container root's.
  const root = await stat(lower);
  await chown(upper, root.uid, root.gid);
  await chmod(upper, root.mode & 0o7777);
  await runTool(
    requireTool("mount"),
    ["-t", "overlay", "hangar-overlay", "-o", `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged],
    "CONTAINER_START_FAILED",
  );
}

/** Unmounts if mounted (a lazy detach as the last resort, so the job dir can always be removed), then the mount point goes. */
export async function unmountOverlay(merged: string): Promise<void> {
  if (await isMountPoint(merged)) {
    const umount = requireTool("umount");
    await runTool(umount, [merged], "CONTAINER_START_FAILED").catch(() =>
      runTool(umount, ["--lazy", merged], "CONTAINER_START_FAILED"),
    );
  }
  await rmdir(merged).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return mounts.split("\n").some((line) => line.split(" ")[1] === path);
}
