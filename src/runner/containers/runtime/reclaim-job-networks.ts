// Reclaims what the job networks of dead runners (SIGKILL, OOM kill, a crash) left on this host, from the host-wide
// network record: their crun containers, overlay mounts, namespaces with their veths, NAT rules and bridges. A live
// runner's job is never touched, whichever process sweeps.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isOwnerAlive } from "../../process-owner.js";
import { Crun, detectCgroupLayout, type CgroupLayout } from "./crun.js";
import { requireTool } from "./host-tools.js";
import { removeNetworkParts } from "./job-network.js";
import {
  canSweepRecords,
  readRecords,
  removeRecord,
  restoreForwardingIfLast,
  withNetworkRecordLock,
  type NetworkRecord,
} from "./network-registry.js";
import { unmountOverlay } from "./overlay.js";

/**
 * Reclaims every recorded job network whose runner is dead, one `warn` line per job; what cannot be removed stays
 * recorded for the next sweep. Puts ip_forward back when no job network is left. Never throws.
 */
export async function reclaimDeadJobNetworks(warn: (message: string) => void): Promise<void> {
  if (!(await canSweepRecords())) return;
  try {
    await withNetworkRecordLock(async () => {
      let layout: CgroupLayout | undefined;
      for (const { index, record } of await readRecords()) {
        if (isOwnerAlive(record)) continue;
        layout ??= await detectCgroupLayout();
        await reclaimJobNetwork(index, record, layout, warn);
      }
      await restoreForwardingIfLast();
    });
  } catch (error) {
    warn(`could not sweep the job networks of dead runners: ${describeError(error)}`);
  }
}

async function reclaimJobNetwork(
  index: number,
  record: NetworkRecord,
  layout: CgroupLayout,
  warn: (message: string) => void,
): Promise<void> {
  const failures: unknown[] = [];
  const attempt = <T>(action: () => Promise<T>, fallback: T): Promise<T> =>
    action().catch((error: unknown) => {
      failures.push(error);
      return fallback;
    });
  // Containers first: their processes hold the overlays and namespaces.
  const containers = await attempt(() => removeContainers(record.crunStateDir, layout), 0);
  const overlays = await attempt(() => unmountOverlaysBelow(record.containersDir), 0);
  failures.push(...(await attempt(() => removeNetworkParts(requireTool("ip"), record), [])));
  const job = `job network ${record.bridge} of runner pid ${record.pid}, dead (made ${record.createdAt})`;
  if (failures.length > 0) {
    warn(`could not reclaim all of the ${job}: ${describeError(failures[0])}; the next start tries again`);
    return;
  }
  await removeRecord(index);
  warn(
    `reclaimed the ${job}: ${containers} container(s), ${overlays} overlay(s), ` +
      `${record.netns.length} network namespace(s), ${record.natRules.length} NAT rule(s)`,
  );
}

/** Every container in the job's own crun state dir is the job's; `delete --force` kills all its processes. */
async function removeContainers(crunStateDir: string, layout: CgroupLayout): Promise<number> {
  if (!existsSync(crunStateDir)) return 0;
  const crun = new Crun(crunStateDir, layout);
  const { stdout } = await crun.run(["list", "--quiet"], "CONTAINER_START_FAILED");
  const ids = stdout.split("\n").filter(Boolean);
  for (const id of ids) await crun.remove(id);
  return ids.length;
}

/** Overlays are known by their upper dir, which lies in the container's own dir wherever the root is mounted. */
async function unmountOverlaysBelow(containersDir: string): Promise<number> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  const mountPoints = mounts
    .split("\n")
    .map((line) => line.split(" "))
    .filter(
      ([, , type, options = ""]) =>
        type === "overlay" &&
        options.split(",").some((option) => option.startsWith(`upperdir=${containersDir}/`)),
    )
    .map(([, mountPoint]) => mountPoint);
  for (const mountPoint of mountPoints) await unmountOverlay(mountPoint);
  return mountPoints.length;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
