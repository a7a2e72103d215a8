// `which` inside a container, answered from the host: its overlay root plus its bind mounts, symlinks resolved inside.
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import type { BindMount } from "./oci-spec.js";

/** Like the kernel's MAXSYMLINKS: a loop of links ends the lookup. */
const maxSymlinkHops = 40;

export function findInContainer(
  rootfs: string,
  mounts: BindMount[],
  command: string,
  pathVariable: string,
): string | undefined {
  const toHost = (containerPath: string): string => {
    const mount = mounts
      .filter(
        (candidate) =>
          containerPath === candidate.destination || containerPath.startsWith(`${candidate.destination}/`),
      )
      .sort((a, b) => b.destination.length - a.destination.length)[0];
    return mount ? mount.source + containerPath.slice(mount.destination.length) : join(rootfs, containerPath);
  };
  const candidates = command.includes("/")
    ? [posix.resolve("/", command)]
    : pathVariable
        .split(":")
        .filter((dir) => dir.startsWith("/"))
        .map((dir) => posix.join(dir, command));
  return candidates.find((candidate) => {
    const resolved = resolveInContainer(toHost, candidate, 0);
    if (!resolved) return false;
    try {
      const stat = statSync(toHost(resolved));
      return stat.isFile() && (stat.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/** Follows symlinks component by component, an absolute target meaning the container's root, never the host's. */
function resolveInContainer(
  toHost: (path: string) => string,
  path: string,
  hops: number,
): string | undefined {
  const parts = path.split("/").filter(Boolean);
  let current = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = posix.join(current, parts[i]);
    let isLink: boolean;
    try {
      isLink = lstatSync(toHost(next)).isSymbolicLink();
    } catch {
      return undefined;
    }
    if (isLink) {
      if (hops >= maxSymlinkHops) return undefined;
      const target = readlinkSync(toHost(next));
      const base = target.startsWith("/") ? target : posix.join(current, target);
      return resolveInContainer(toHost, posix.join(base, ...parts.slice(i + 1)), hops + 1);
    }
    current = next;
  }
  return current;
}
