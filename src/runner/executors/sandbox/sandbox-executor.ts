// The `sandbox` executor: every job in bubblewrap as an unprivileged uid with its own dirs, cgroup limits and optional seccomp. Owns the per-job roots under its base dir and their cgroups.
import { spawn } from "node:child_process";
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { boundWorkspace, fillWorkspace, jobDirectoriesIn, makeJobRoot } from "../job-root.js";
import { findExecutable } from "../../find-executable.js";
import { RunnerError } from "../../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../../types.js";
import type { ProcessTree, SupervisedChild } from "../supervise-process.js";
import { signalProcessGroup, spawnFailure, stdinOf, superviseProcess } from "../supervise-process.js";
import type { JobMounts, SystemMounts } from "./bwrap-arguments.js";
import {
  buildBwrapArguments,
  findSystemMounts,
  hostPathOf,
  sandboxUid,
  isInsideAny,
  isReachableByEveryone,
  isVisibleToJob,
} from "./bwrap-arguments.js";
import type { CgroupParents, CgroupVersion, SandboxLimits } from "./job-cgroups.js";
import { JobCgroup, findCgroupParents, signalQuietly } from "./job-cgroups.js";
import { buildSeccompFilter } from "./seccomp-filter.js";
import type { SandboxTools } from "./sandbox-tools.js";
import { findSandboxTools, hostToolsPath, writeToChild } from "./sandbox-tools.js";

export interface SandboxExecutorOptions {
  /** Per-job roots are created below this directory; it must not hold anything else a job should not see. */
  baseDir: string;
  /** Per job; defaults in defaultSandboxLimits (4 GiB, 4096 processes, no CPU quota). */
  limits?: SandboxLimits;
  /** Deny dangerous syscalls (ptrace, mount, unshare, bpf, ...) with a seccomp filter; x86_64 only. Default false. */
  seccomp?: boolean;
  /** When the runner is root: jobs run as host uid/gid uidBase + slot, one slot per running job. Default 200000. */
  uidBase?: number;
  /** How many jobs may run at once (uid slots). Default 1000. */
  maxJobs?: number;
  /** Debugging: keep each job's root (workspace, temp, home) after cleanup. */
  keepWorkspace?: boolean;
  /** Told where a kept job's directories are. */
  onKept?: (root: string) => void;
  /** Run without resource limits when cgroups cannot be used, instead of refusing; see SandboxExecutor.warnings. */
  allowWithoutCgroups?: boolean;
  /** Default: `bwrap` on PATH. */
  bwrapPath?: string;
  /** Told one line per job cgroup of a dead runner that creation removed. */
  warn?: (message: string) => void;
}

export interface SandboxJobInfo {
  root: string;
  /** The host uid the job's processes run as. */
  hostUid: number;
  /** The job's cgroup directories (one per v1 controller, or one for v2); empty without cgroups. */
  cgroupDirs: string[];
}

interface SandboxJob {
  dirs: JobDirectories;
  mounts: JobMounts;
  home: string;
  hostUid: number;
  slot?: number;
  cgroup?: JobCgroup;
}

const defaultUidBase = 200_000;
const defaultMaxJobs = 1000;
/**
 * Joins the job's cgroup before anything can fork, hands files the runner wrote (env files, scripts, checkout)
 * to the job's uid without following links, then becomes bwrap. Arguments: owner|-, root, cgroup.procs files..., --, command...
 */
const wrapperScript = [
  "owner=$1 root=$2; shift 2",
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift',
  'if [ "$owner" != - ]; then chown -R -h -P "$owner" "$root" || exit 125; fi',
  'exec "$@"',
].join("\n");
const argumentsFd = 3;
const seccompFd = 4;

/**
 * Checks the host (bwrap, setpriv when root, cgroups, seccomp support) and returns the executor.
 * Throws RunnerError RUNNER_ISOLATION_UNAVAILABLE naming what is missing.
 */
export async function createSandboxExecutor(options: SandboxExecutorOptions): Promise<SandboxExecutor> {
  validateOptions(options);
  const tools = findSandboxTools(options.bwrapPath);
  if (options.seccomp && process.arch !== "x64") {
    throw new RunnerError(
      "RUNNER_ISOLATION_UNAVAILABLE",
      `seccomp: the sandbox's seccomp filter is for x86_64, not ${process.arch}`,
    );
  }
  const baseDir = resolve(options.baseDir);
  await mkdir(baseDir, { recursive: true });
  if (tools.isRoot) {
    // Job uids must pass through the base dir to their own root, but not list the other jobs in it.
    await chmod(baseDir, 0o711);
    if (!(await isReachableByEveryone(baseDir))) {
      throw new RunnerError(
        "RUNNER_ISOLATION_UNAVAILABLE",
        `baseDir: ${baseDir} must be reachable by the jobs' unprivileged uids: every parent directory needs o+x`,
      );
    }
  }
  const warnings: string[] = [];
  let cgroups: CgroupParents | undefined;
  try {
    cgroups = await findCgroupParents();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (!options.allowWithoutCgroups) {
      throw new RunnerError(
        "RUNNER_ISOLATION_UNAVAILABLE",
        `sandboxed jobs need cgroups for their resource limits, and ${reason}; allow running without limits explicitly (allowWithoutCgroups) to continue anyway`,
        { cause: error },
      );
    }
    warnings.push(`sandboxed jobs run WITHOUT memory, CPU and process limits: ${reason}`);
  }
  if (cgroups) await JobCgroup.reclaimDead(cgroups, options.warn ?? (() => undefined));
  const system = await findSystemMounts();
  warnings.push(...system.warnings);
  system.args.push(...(await writeJobIdentity(baseDir)));
  return new SandboxExecutor({ ...options, baseDir }, tools, system, cgroups, warnings);
}

/** Written to the job's /etc/passwd and /etc/group, so `whoami`, ssh and pip know the job's user, as on GitHub. */
const jobUser = "runner";

/**
 * The host's passwd and group with the job's user added (anyone else holding its name or id dropped), in a root-owned
 * directory the jobs can read but not change; bound over /etc/passwd and /etc/group.
 */
async function writeJobIdentity(baseDir: string): Promise<string[]> {
  const dir = join(baseDir, ".identity");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const entries: [string, string][] = [
    ["passwd", `${jobUser}:x:${sandboxUid}:${sandboxUid}:hangar job:/tmp:/bin/bash`],
    ["group", `${jobUser}:x:${sandboxUid}:`],
  ];
  const args: string[] = [];
  for (const [name, line] of entries) {
    const host = await readFile(join("/etc", name), "utf8").catch(() => "");
    const kept = host
      .split("\n")
      .filter(
        (each) => each !== "" && !each.startsWith(`${jobUser}:`) && each.split(":")[2] !== String(sandboxUid),
      );
    const file = join(dir, name);
    await writeFile(file, [...kept, line].join("\n") + "\n", { mode: 0o644 });
    await chmod(file, 0o644);
    args.push("--ro-bind", file, join("/etc", name));
  }
  return args;
}

export class SandboxExecutor implements Executor {
  readonly name = "sandbox";
  private readonly jobs = new Map<string, SandboxJob>();
  private readonly usedSlots = new Set<number>();
  private readonly seccompFilter: Buffer | undefined;

  /** Use createSandboxExecutor(), which checks the host first. */
  constructor(
    private readonly options: SandboxExecutorOptions,
    private readonly tools: SandboxTools,
    private readonly system: SystemMounts,
    private readonly cgroups: CgroupParents | undefined,
    /** Things the lead should print loudly at start (no limits, JavaScript actions unavailable). */
    readonly warnings: string[],
  ) {
    this.seccompFilter = options.seccomp ? buildSeccompFilter() : undefined;
  }

  get cgroupVersion(): CgroupVersion | undefined {
    return this.cgroups?.version;
  }

  async prepare(spec: PrepareJobSpec): Promise<JobDirectories> {
    const root = await makeJobRoot(this.options.baseDir, spec);
    // As root, jobs run as other uids that may not write the checkout: they get a copy of it even with --bind.
    const givenWorkspace = this.tools.isRoot ? undefined : boundWorkspace(spec);
    // As root, a job's uid may not pass through the data dir to the shared tool cache: it gets a cache of its own.
    const sharedToolCache = spec.toolCache && !this.tools.isRoot ? resolve(spec.toolCache) : undefined;
    const dirs = jobDirectoriesIn(root, givenWorkspace, sharedToolCache);
    const job: SandboxJob = {
      dirs,
      home: join(root, "home"),
      hostUid: process.getuid?.() ?? 0,
      mounts: {
        system: this.system,
        root,
        tmp: join(root, "tmp"),
        givenWorkspace,
        toolCache: sharedToolCache,
        network: spec.network ?? "host",
      },
    };
    this.jobs.set(root, job);
    try {
      for (const dir of [...Object.values(dirs), job.home, job.mounts.tmp])
        await mkdir(dir, { recursive: true });
      if (this.tools.isRoot) {
        job.slot = this.takeSlot();
        job.hostUid = (this.options.uidBase ?? defaultUidBase) + job.slot;
        // The shared tool cache stays the runner's: the job only reads it.
        const ownDirs = Object.values(dirs).filter((dir) => dir !== sharedToolCache);
        for (const dir of [root, ...ownDirs, job.home, job.mounts.tmp]) {
          await chown(dir, job.hostUid, job.hostUid);
        }
      }
      await fillWorkspace(dirs, spec, false);
      await chmod(root, 0o700);
      if (this.cgroups) job.cgroup = await JobCgroup.create(this.cgroups, this.options.limits ?? {});
    } catch (error) {
      await this.cleanup(dirs);
      throw error;
    }
    return dirs;
  }

  /** Kills what is left of the job, removes its cgroup and (unless keepWorkspace) its root; a given workspace is kept. */
  async cleanup(dirs: JobDirectories): Promise<void> {
    const root = dirname(dirs.temp);
    const job = this.jobs.get(root);
    if (!job) return;
    this.jobs.delete(root);
    try {
      await job.cgroup?.remove();
    } finally {
      if (this.options.keepWorkspace) this.options.onKept?.(root);
      else await rm(root, { recursive: true, force: true });
      if (job.slot !== undefined) this.usedSlots.delete(job.slot);
    }
  }

  /** For tests and diagnostics: where a prepared job lives on the host. */
  describeJob(dirs: JobDirectories): SandboxJobInfo | undefined {
    const job = this.jobs.get(dirname(dirs.temp));
    if (!job) return undefined;
    return { root: job.mounts.root, hostUid: job.hostUid, cgroupDirs: Object.values(job.cgroup?.dirs ?? {}) };
  }

  /**
   * HostExecutor's semantics (see superviseProcess) inside the job's sandbox. The job is the one whose
   * file-commands dir holds the step's env files (GITHUB_ENV ...), else the one whose dirs hold cwd.
   */
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult> {
    let job: SandboxJob;
    let command: string;
    try {
      job = this.findJob(spec);
      command = this.resolveCommand(spec, job);
    } catch (error) {
      return Promise.reject(error);
    }
    return stat(hostPathOf(spec.cwd, job.mounts)).then(
      (info) => {
        if (!info.isDirectory() || !isVisibleToJob(spec.cwd, job.mounts)) {
          throw spawnRefused(spec, "the working directory is not visible inside the sandbox");
        }
        return superviseProcess(
          spec,
          () => this.spawnSandboxed(spec, job, command),
          (child) => jobProcessTree(child, job.cgroup),
          onOutput,
        );
      },
      (error: unknown) => {
        throw spawnRefused(spec, error instanceof Error ? error.message : String(error));
      },
    );
  }

  private spawnSandboxed(spec: ExecSpec, job: SandboxJob, command: string): SupervisedChild {
    const bwrap = buildBwrapArguments(job.mounts, {
      cwd: spec.cwd,
      env: { ...spec.env, HOME: job.home },
      command,
      args: spec.args,
      seccompFd: this.seccompFilter ? seccompFd : undefined,
    });
    const dropPrivileges = this.tools.setpriv
      ? [
          this.tools.setpriv,
          `--reuid=${job.hostUid}`,
          `--regid=${job.hostUid}`,
          "--clear-groups",
          "--no-new-privs",
        ]
      : [];
    const owner = this.tools.isRoot ? `${job.hostUid}:${job.hostUid}` : "-";
    const child = spawn(
      "/bin/sh",
      [
        "-c",
        wrapperScript,
        "hangar-sandbox",
        owner,
        job.mounts.root,
        ...(job.cgroup?.procsFiles ?? []),
        "--",
        ...dropPrivileges,
        this.tools.bwrap,
        "--args",
        String(argumentsFd),
        ...bwrap.command,
      ],
      {
        cwd: "/",
        // The job's env reaches only the sandbox (via --setenv): LD_PRELOAD and friends must not touch the root-owned wrapper.
        env: { PATH: hostToolsPath },
        detached: true,
        stdio: [stdinOf(spec), "pipe", "pipe", "pipe", this.seccompFilter ? "pipe" : "ignore"],
      },
    );
    // Through a pipe, not the command line: /proc/<pid>/cmdline of bwrap is readable by every user of the host.
    writeToChild(child, argumentsFd, Buffer.from(`${bwrap.options.join("\0")}\0`));
    if (this.seccompFilter) writeToChild(child, seccompFd, this.seccompFilter);
    // stdio 1 and 2 are pipes, as requested above.
    return child as SupervisedChild;
  }

  private findJob(spec: ExecSpec): SandboxJob {
    const job = this.jobs.get(dirname(spec.job.temp));
    if (!job) throw spawnRefused(spec, "it belongs to no job this sandbox executor prepared");
    return job;
  }

  /** Shells and tools are looked up where every job can see them: the system dirs, never the runner's own home. */
  findExecutable(command: string, pathVariable: string | undefined): string | undefined {
    const visiblePath = (pathVariable ?? "")
      .split(delimiter)
      .filter((dir) => isAbsolute(dir) && isInsideAny(dir, this.system.dirs))
      .join(delimiter);
    const found = findExecutable(command, visiblePath);
    return found && isInsideAny(found, this.system.dirs) ? found : undefined;
  }

  /** The absolute path bwrap runs, looked up only in PATH entries the job can see. */
  private resolveCommand(spec: ExecSpec, job: SandboxJob): string {
    const visiblePath = (spec.env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => isAbsolute(dir) && isVisibleToJob(dir, job.mounts))
      .join(delimiter);
    const candidate = spec.command.includes("/") ? resolve(spec.cwd, spec.command) : spec.command;
    const found = findExecutable(candidate, visiblePath);
    if (!found || !isVisibleToJob(found, job.mounts)) {
      throw spawnRefused(spec, "no such executable inside the sandbox");
    }
    return found;
  }

  private takeSlot(): number {
    const maxJobs = this.options.maxJobs ?? defaultMaxJobs;
    for (let slot = 0; slot < maxJobs; slot++) {
      if (!this.usedSlots.has(slot)) {
        this.usedSlots.add(slot);
        return slot;
      }
    }
    throw new RunnerError(
      "RUNNER_ISOLATION_UNAVAILABLE",
      `maxJobs: all ${maxJobs} sandbox uid slots are in use`,
    );
  }
}

/** Under load the kernel can take seconds to deliver a cgroup's kills; exec returns only once it is empty. */
const cgroupSettleMs = 10_000;

/**
 * The step's processes are the job's cgroup. TERM goes to each of them except the outer bwrap, whose
 * death would SIGKILL the rest at once (--die-with-parent); before the wrapper joined the cgroup, and
 * without cgroups, the process group stands in.
 */
function jobProcessTree(child: SupervisedChild, cgroup: JobCgroup | undefined): ProcessTree {
  return {
    settleMs: cgroup ? cgroupSettleMs : undefined,
    signal(signal) {
      const members = cgroup?.members() ?? [];
      if (!cgroup) return signalProcessGroup(child.pid, signal);
      if (members.length === 0) {
        // Once the wrapper is gone only the cgroup counts: the old process group may hold zombies.
        const hasWrapperExited = child.exitCode !== null || child.signalCode !== null;
        return signalProcessGroup(child.pid, signal) && !hasWrapperExited;
      }
      if (signal === "SIGKILL") {
        cgroup.kill();
        signalProcessGroup(child.pid, "SIGKILL");
      } else if (signal === "SIGTERM") {
        for (const pid of members) if (pid !== child.pid) signalQuietly(pid, "SIGTERM");
      }
      return true;
    },
  };
}

function validateOptions(options: SandboxExecutorOptions): void {
  const positive: [string, number | undefined][] = [
    ["limits.memoryBytes", options.limits?.memoryBytes],
    ["limits.cpus", options.limits?.cpus],
    ["limits.pids", options.limits?.pids],
    ["uidBase", options.uidBase],
    ["maxJobs", options.maxJobs],
  ];
  for (const [field, value] of positive) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new RunnerError("RUNNER_CONFIG_INVALID", `${field}: must be a positive number, got ${value}`);
    }
  }
}

function spawnRefused(spec: ExecSpec, reason: string): RunnerError {
  return spawnFailure(spec, new Error(reason));
}
