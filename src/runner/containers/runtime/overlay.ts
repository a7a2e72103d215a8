// A container's root: kernel overlayfs with the image read-only below and the container's writes in its own dir.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ContainerError } from "../container-error.js";
import { requireTool, runTool } from "./host-tools.js";

/** Mounts lower (never written) + dir/upper + dir/work at dir/rootfs and returns that path. */
export async function mountOverlay(lower: string, dir: string): Promise<string> {
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  const merged = join(dir, "rootfs");
  for (const path of [lower, upper, work, merged]) {
    // overlayfs separates its options with commas and lowerdirs with colons; such paths cannot be passed safely.
    if (/[,:]/.test(path)) {
      throw new ContainerError(
        "CONTAINER_START_FAILED",
        `overlay path '${path}' must not contain ',' or ':'`,
      );
    }
  }
  await Promise.all([upper, work, merged].map((path) => mkdir(path, { recursive: true })));
  await runTool(
    requireTool("mount"),
    ["-t", "overlay", "hangar-overlay", "-o", `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged],
    "CONTAINER_START_FAILED",
  );
  return merged;
}

/** Unmounts if mounted; a lazy detach as the last resort so the job dir can always be removed. */
export async function unmountOverlay(dir: string): Promise<void> {
  const merged = join(dir, "rootfs");
  if (!(await isMountPoint(merged))) return;
  const umount = requireTool("umount");
  await runTool(umount, [merged], "CONTAINER_START_FAILED").catch(() =>
    runTool(umount, ["--lazy", merged], "CONTAINER_START_FAILED"),
  );
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return mounts.split("\n").some((line) => line.split(" ")[1] === path);
}
