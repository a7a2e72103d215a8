// In-use markers: a job holds a lease on its image while it runs, and remove/gc leave a leased image alone.
// A lease names its process and that process's start time, so one left by a crashed process is recognised as dead
// and ignored, even once its pid is reused.
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { currentOwner, isOwnerAlive } from "../../process-owner.js";
import { listNames, type ImageStoreLayout } from "./image-records.js";

export interface ImageLease {
  release(): Promise<void>;
}

/** `<pid>-<start time>-<random>`; leases from before the start time was added, `<pid>-<random>`, by the pid alone. */
const leaseName = /^(\d+)-(?:(\d+)-)?[0-9a-f]+$/;

/** Call with the image's digest lock held, so gc cannot remove the image in between. */
export async function takeLease(layout: ImageStoreLayout, digest: string): Promise<ImageLease> {
  const dir = layout.leasesDir(digest);
  await mkdir(dir, { recursive: true });
  const owner = currentOwner();
  const file = path.join(dir, `${owner.pid}-${owner.pidStartTime}-${randomBytes(6).toString("hex")}`);
  await writeFile(file, `${new Date().toISOString()}\n`, { flag: "wx" });
  return { release: () => rm(file, { force: true }) };
}

/** Removes the leases of dead processes on the way. */
export async function isLeased(layout: ImageStoreLayout, digest: string): Promise<boolean> {
  const dir = layout.leasesDir(digest);
  let leased = false;
  for (const name of await listNames(dir)) {
    const [, pid, startTime] = leaseName.exec(name) ?? [];
    const isAlive =
      pid !== undefined &&
      isOwnerAlive({
        pid: Number(pid),
        ...(startTime === undefined ? {} : { pidStartTime: Number(startTime) }),
      });
    if (isAlive) leased = true;
    else await rm(path.join(dir, name), { force: true });
  }
  return leased;
}
