// In-use markers: a job holds a lease on its image while it runs, and remove/gc leave a leased image alone.
// A lease names its process, so one left by a crashed process is recognised as dead and ignored.
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { listNames, type ImageStoreLayout } from "./image-records.js";

export interface ImageLease {
  release(): Promise<void>;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Call with the image's digest lock held, so gc cannot remove the image in between. */
export async function takeLease(layout: ImageStoreLayout, digest: string): Promise<ImageLease> {
  const dir = layout.leasesDir(digest);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}-${randomBytes(6).toString("hex")}`);
  await writeFile(file, `${new Date().toISOString()}\n`, { flag: "wx" });
  return { release: () => rm(file, { force: true }) };
}

/** Removes the leases of dead processes on the way. */
export async function isLeased(layout: ImageStoreLayout, digest: string): Promise<boolean> {
  const dir = layout.leasesDir(digest);
  let leased = false;
  for (const name of await listNames(dir)) {
    const pid = Number.parseInt(name, 10);
    if (Number.isInteger(pid) && isProcessAlive(pid)) leased = true;
    else await rm(path.join(dir, name), { force: true });
  }
  return leased;
}
