// The host-wide record of hangar's job networks under /run/hangar: which runner (pid and start time) owns each subnet
// and what it made there, so that what a crashed runner left can be found, and the ip_forward value from before the
// first network, put back with the last. Shared by every runner process of the host; touches nothing in the kernel
// except ip_forward.
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { withFileLock } from "../images/file-lock.js";
import type { ProcessOwner } from "../../process-owner.js";

/** On a tmpfs: after a reboot, when the kernel has forgotten every bridge as well, the record starts empty. */
const stateDir = "/run/hangar";
const networksDir = join(stateDir, "networks");
const lockFile = join(stateDir, "networks.lock");
/** Written by the first network that turns forwarding on, holding the value from before; removed by the last. */
const savedForwardingFile = join(stateDir, "ip_forward");
const forwardingFile = "/proc/sys/net/ipv4/ip_forward";

/** One job network; its file is `networks/<subnet index>.json`. */
export interface NetworkRecord extends ProcessOwner {
  createdAt: string;
  bridge: string;
  /** Written before each is created, so a crash in between leaves nothing unrecorded. */
  netns: string[];
  /** iptables arguments after -I/-D. */
  natRules: string[][];
  /** crun's state dir of the job's containers: every container in it belongs to the job. */
  crunStateDir: string;
  /** The job's containers keep their dirs below this one: an overlay whose upper dir is in it is the job's. */
  containersDir: string;
}

/**
 * Claims, releases and sweeps hold this lock: a sweep never races a claim of the subnet it frees, and the last
 * network's restore of ip_forward never races the next network turning it on. The kernel drops it if we die.
 */
export async function withNetworkRecordLock<T>(action: () => Promise<T>): Promise<T> {
  await mkdir(networksDir, { recursive: true });
  return withFileLock(lockFile, action);
}

/** Under the lock: records the index as ours unless another network has it. */
export async function claimRecord(index: number, record: NetworkRecord): Promise<boolean> {
  if (await exists(recordFile(index))) return false;
  await writeRecord(index, record);
  return true;
}

/** Replaced whole (rename), so a sweep never reads half a record. */
export async function writeRecord(index: number, record: NetworkRecord): Promise<void> {
  const file = recordFile(index);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify(record));
  await rename(partial, file);
}

/** Under the lock. */
export async function removeRecord(index: number): Promise<void> {
  await rm(recordFile(index), { force: true });
}

/** Under the lock; unreadable files are skipped (a claim writes whole files). */
export async function readRecords(): Promise<{ index: number; record: NetworkRecord }[]> {
  const names = await readdir(networksDir).catch(() => []);
  const records: { index: number; record: NetworkRecord }[] = [];
  for (const name of names) {
    const match = /^(\d+)\.json$/.exec(name);
    if (!match) continue;
    const text = await readFile(join(networksDir, name), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    try {
      records.push({ index: Number(match[1]), record: JSON.parse(text) as NetworkRecord });
    } catch {
      // Not ours to judge: left for a person to look at.
    }
  }
  return records;
}

/** Whether this process may sweep: only a process that can write the record can have anything to reclaim there. */
export async function canSweepRecords(): Promise<boolean> {
  return access(networksDir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** Under the lock: remembers the value from before hangar's first network, then turns forwarding on. */
export async function enableForwarding(): Promise<void> {
  if (!(await exists(savedForwardingFile))) {
    await writeFile(savedForwardingFile, await readFile(forwardingFile, "utf8"));
  }
  await writeFile(forwardingFile, "1");
}

/** Under the lock, after removing a record: once no hangar network is left, ip_forward gets its old value back. */
export async function restoreForwardingIfLast(): Promise<void> {
  if ((await readRecords()).length > 0) return;
  const saved = await readFile(savedForwardingFile, "utf8").catch(() => undefined);
  if (saved === undefined) return;
  await writeFile(forwardingFile, saved.trim());
  await rm(savedForwardingFile, { force: true });
}

function recordFile(index: number): string {
  return join(networksDir, `${index}.json`);
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
