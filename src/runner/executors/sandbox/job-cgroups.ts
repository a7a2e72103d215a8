// Per-job cgroups for the sandbox: finding our own cgroup (v1 or v2), creating a limited child per job, killing and removing it,
// and removing those of runners that died. Knows nothing of bwrap.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentOwner, isOwnerAlive } from "../../process-owner.js";

export type CgroupVersion = 1 | 2;

/** Resource limits of one job. Contract: units are bytes, CPUs (fractions allowed) and processes. */
export interface SandboxLimits {
  memoryBytes?: number;
  /** CPU time as a number of cores; unset = no quota. */
  cpus?: number;
  pids?: number;
}

/** 4 GiB and 4096 processes: GitHub's smallest hosted runner has 7 GB and no pids limit; a fork bomb stops at 4096. */
export const defaultSandboxLimits: Required<Pick<SandboxLimits, "memoryBytes" | "pids">> = {
  memoryBytes: 4 * 1024 ** 3,
  pids: 4096,
};

/** Where job cgroups go: one parent directory per v1 controller, or one v2 directory. */
export interface CgroupParents {
  version: CgroupVersion;
  /** v1: controller name → our own cgroup's directory; v2: "unified" → our own (or delegated) directory. */
  dirs: Record<string, string>;
  /** Controllers that limit or kill (memory, pids, cpu, freezer on v1). */
  controllers: string[];
}

const requiredControllers = ["memory", "pids"];
const v1Controllers = ["memory", "pids", "cpu", "freezer"];
const cpuPeriodMicros = 100_000;
/** How long cleanup keeps killing a cgroup that refuses to empty before giving up on removing it. */
const removeDeadlineMs = 10_000;

/**
 * Finds our own cgroup per controller (/proc/self/cgroup joined with the mount from
 * /proc/self/mountinfo). Prefers v1 controllers when they are mounted (hybrid hosts keep memory
 * and pids there); otherwise v2, enabling memory/pids/cpu for children of our cgroup. Throws an
 * Error explaining what is missing or not writable.
 */
export async function findCgroupParents(): Promise<CgroupParents> {
  const mounts = parseMountinfo(await readFile("/proc/self/mountinfo", "utf8"));
  const membership = parseProcCgroup(await readFile("/proc/self/cgroup", "utf8"));
  const v1Dirs: Record<string, string> = {};
  for (const controller of v1Controllers) {
    const mount = mounts.find((m) => m.fstype === "cgroup" && m.superOptions.split(",").includes(controller));
    const own = membership.find((entry) => entry.controllers.includes(controller));
    if (mount && own) v1Dirs[controller] = join(mount.mountPoint, relative(mount.root, own.path));
  }
  if (requiredControllers.every((controller) => controller in v1Dirs)) {
    for (const [controller, dir] of Object.entries(v1Dirs)) await assertWritable(dir, controller);
    return { version: 1, dirs: v1Dirs, controllers: Object.keys(v1Dirs) };
  }
  const mount = mounts.find((m) => m.fstype === "cgroup2");
  const own = membership.find((entry) => entry.hierarchy === "0");
  if (!mount || !own) {
    throw new Error("no cgroup v1 memory and pids controllers and no cgroup v2 hierarchy are mounted");
  }
  const dir = join(mount.mountPoint, relative(mount.root, own.path));
  const available = (await readFile(join(dir, "cgroup.controllers"), "utf8")).trim().split(/\s+/);
  const missing = requiredControllers.filter((controller) => !available.includes(controller));
  if (missing.length > 0) {
    throw new Error(
      `cgroup v2 ${dir} does not offer the ${missing.join(", ")} controller(s) to its children`,
    );
  }
  const controllers = [...requiredControllers, ...(available.includes("cpu") ? ["cpu"] : [])];
  await enableV2Controllers(dir, controllers);
  return { version: 2, dirs: { unified: dir }, controllers };
}

/**
 * v2 lets a cgroup with processes in it have no controller-enabled children ("no internal
 * processes"); when enabling fails for that reason, our cgroup's processes move to a leaf of their own.
 */
async function enableV2Controllers(dir: string, controllers: string[]): Promise<void> {
  const enable = (): Promise<void> =>
    writeFile(join(dir, "cgroup.subtree_control"), controllers.map((c) => `+${c}`).join(" "));
  try {
    await enable();
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EBUSY") throw explainCgroupError(error, dir);
  }
  const leaf = join(dir, "hangar-runner");
  await mkdir(leaf, { recursive: true });
  for (const pid of readMembers(dir)) {
    try {
      await writeFile(join(leaf, "cgroup.procs"), String(pid));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw explainCgroupError(error, leaf);
    }
  }
  await enable().catch((error: unknown) => {
    throw explainCgroupError(error, dir);
  });
}

async function assertWritable(dir: string, controller: string): Promise<void> {
  const probe = join(dir, `hangar-probe-${process.pid}`);
  try {
    await mkdir(probe);
    await rmdir(probe);
  } catch (error) {
    throw explainCgroupError(error, dir, controller);
  }
}

function explainCgroupError(error: unknown, dir: string, controller?: string): Error {
  const reason = error instanceof Error ? error.message : String(error);
  const what = controller ? `the ${controller} cgroup ${dir}` : `the cgroup ${dir}`;
  return new Error(
    `cannot create job cgroups under ${what} (${reason}): run the runner as root or in a cgroup delegated to its user`,
    { cause: error },
  );
}

let jobCgroupSequence = 0;

/**
 * `hangar-<runner pid>-<its start time>-<sequence>`: the name alone says whether the owner still runs, even after a
 * crash. Names from before the start time was added (`hangar-<pid>-<sequence>`) are judged by the pid alone.
 */
const jobCgroupName = /^hangar-(\d+)-(?:(\d+)-)?\d+$/;

/** One job's cgroup: a directory per v1 controller, or one v2 directory. */
export class JobCgroup {
  private constructor(
    private readonly parents: CgroupParents,
    /** Same keys as parents.dirs. */
    readonly dirs: Record<string, string>,
  ) {}

  /** Creates the job's cgroup below our own and writes its limits. */
  static async create(parents: CgroupParents, limits: SandboxLimits): Promise<JobCgroup> {
    const owner = currentOwner();
    const cgroup = JobCgroup.named(
      parents,
      `hangar-${owner.pid}-${owner.pidStartTime}-${++jobCgroupSequence}`,
    );
    const { dirs } = cgroup;
    try {
      for (const dir of Object.values(dirs)) await mkdir(dir);
      await cgroup.writeLimits(limits);
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
    return cgroup;
  }

  /**
   * Removes the job cgroups below ours whose runner is dead (SIGKILL, a crash), killing what still runs in them, with
   * one `warn` line each. Those of live runners, this one included, stay. Never throws.
   */
  static async reclaimDead(parents: CgroupParents, warn: (message: string) => void): Promise<void> {
    const names = new Set<string>();
    for (const dir of Object.values(parents.dirs)) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries)
        if (entry.isDirectory() && jobCgroupName.test(entry.name)) names.add(entry.name);
    }
    for (const name of names) {
      const owner = jobCgroupOwner(name);
      if (isOwnerAlive(owner)) continue;
      const cgroup = JobCgroup.named(parents, name);
      const survivors = cgroup.members().length;
      const job = `the job cgroup ${name} of runner pid ${owner.pid}, dead`;
      try {
        await cgroup.remove();
        warn(`removed ${job}, and the ${survivors} process(es) left in it`);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        warn(`could not remove ${job}: ${reason}; the next start tries again`);
      }
    }
  }

  private static named(parents: CgroupParents, name: string): JobCgroup {
    return new JobCgroup(
      parents,
      Object.fromEntries(Object.entries(parents.dirs).map(([key, dir]) => [key, join(dir, name)])),
    );
  }

  /** The files a process writes its own pid to, to join this cgroup (all of them, for v1). */
  get procsFiles(): string[] {
    return Object.values(this.dirs).map((dir) => join(dir, "cgroup.procs"));
  }

  /** Pids (host pid namespace) of every process in the cgroup. */
  members(): number[] {
    return readMembers(this.dirs.unified ?? this.dirs.pids);
  }

  /**
   * SIGKILLs every member. A frozen cgroup cannot fork while we read its member list, so nothing
   * started in between survives; v2's cgroup.kill does all of it in the kernel.
   */
  kill(): void {
    const killFile = this.dirs.unified && join(this.dirs.unified, "cgroup.kill");
    if (killFile && existsSync(killFile)) {
      writeFileSync(killFile, "1");
      return;
    }
    const freezer = this.parents.version === 2 ? this.dirs.unified : this.dirs.freezer;
    const [freezeFile, frozen, thawed] =
      this.parents.version === 2 ? ["cgroup.freeze", "1", "0"] : ["freezer.state", "FROZEN", "THAWED"];
    if (freezer) writeQuietly(join(freezer, freezeFile), frozen);
    for (const pid of this.members()) signalQuietly(pid, "SIGKILL");
    // Killed tasks die only once thawed.
    if (freezer) writeQuietly(join(freezer, freezeFile), thawed);
  }

  /** Kills whatever is left, waits for the cgroup to empty, then removes it. */
  async remove(): Promise<void> {
    const deadline = Date.now() + removeDeadlineMs;
    for (const dir of Object.values(this.dirs)) {
      for (;;) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT") break;
          if (code !== "EBUSY" || Date.now() > deadline) throw error;
          this.kill();
          await sleep(20);
        }
      }
    }
  }

  private async writeLimits(limits: SandboxLimits): Promise<void> {
    const memory = String(limits.memoryBytes ?? defaultSandboxLimits.memoryBytes);
    const pids = String(limits.pids ?? defaultSandboxLimits.pids);
    const quota = limits.cpus === undefined ? undefined : Math.round(limits.cpus * cpuPeriodMicros);
    if (this.parents.version === 2) {
      const dir = this.dirs.unified;
      await writeFile(join(dir, "memory.max"), memory);
      // Without this a job over its memory limit swaps instead of being stopped.
      if (existsSync(join(dir, "memory.swap.max"))) await writeFile(join(dir, "memory.swap.max"), "0");
      await writeFile(join(dir, "pids.max"), pids);
      if (quota !== undefined && this.parents.controllers.includes("cpu")) {
        await writeFile(join(dir, "cpu.max"), `${quota} ${cpuPeriodMicros}`);
      }
      return;
    }
    await writeFile(join(this.dirs.memory, "memory.limit_in_bytes"), memory);
    const swapLimit = join(this.dirs.memory, "memory.memsw.limit_in_bytes");
    if (existsSync(swapLimit)) await writeFile(swapLimit, memory);
    await writeFile(join(this.dirs.pids, "pids.max"), pids);
    if (quota !== undefined && this.dirs.cpu) {
      await writeFile(join(this.dirs.cpu, "cpu.cfs_period_us"), String(cpuPeriodMicros));
      await writeFile(join(this.dirs.cpu, "cpu.cfs_quota_us"), String(quota));
    }
  }
}

function jobCgroupOwner(name: string): { pid: number; pidStartTime?: number } {
  const [, pid, startTime] = jobCgroupName.exec(name)!;
  return { pid: Number(pid), ...(startTime === undefined ? {} : { pidStartTime: Number(startTime) }) };
}

function readMembers(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function writeQuietly(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // The cgroup is being removed or the member list changed under us: the caller polls again.
  }
}

export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it is already gone.
  }
}

interface Mount {
  root: string;
  mountPoint: string;
  fstype: string;
  superOptions: string;
}

function parseMountinfo(text: string): Mount[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [left, right = ""] = line.split(" - ");
      const fields = left.split(" ");
      const [fstype = "", , superOptions = ""] = right.split(" ");
      return {
        root: unescapeMountPath(fields[3]),
        mountPoint: unescapeMountPath(fields[4]),
        fstype,
        superOptions,
      };
    });
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(path = ""): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function parseProcCgroup(text: string): { hierarchy: string; controllers: string[]; path: string }[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [hierarchy, controllers, ...path] = line.split(":");
      return { hierarchy, controllers: controllers.split(","), path: path.join(":") };
    });
}
