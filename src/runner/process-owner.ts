// Who owns a host resource that must outlive a crash (a job network, a job cgroup): a pid with its start time,
// because pids are reused and a live stranger with a dead runner's pid must not keep its leftovers, nor lose its own.
import { readFileSync } from "node:fs";

export interface ProcessOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
  pidStartTime: number;
}

let self: ProcessOwner | undefined;

/** This process, as the owner of what it creates. */
export function currentOwner(): ProcessOwner {
  self ??= ownerOf(process.pid) ?? { pid: process.pid, pidStartTime: 0 };
  return self;
}

/** The process that has this pid now; undefined when there is none. */
export function ownerOf(pid: number): ProcessOwner | undefined {
  const stat = readStat(pid);
  return stat && { pid, pidStartTime: stat.startTime };
}

/**
 * Whether the owner still runs: its pid exists, is no zombie, and started when the owner did. Without a start time
 * (names from before it was recorded) the pid alone decides, erring on the side of keeping.
 */
export function isOwnerAlive(owner: { pid: number; pidStartTime?: number }): boolean {
  const stat = readStat(owner.pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return owner.pidStartTime === undefined || stat.startTime === owner.pidStartTime;
}

function readStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2, the command name, may hold spaces and parentheses: count the fields after its closing one (field 3 on).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], startTime: Number(fields[19]) };
}
