// One running OCI container: its overlay, bundle and crun state, processes exec'd into it, and its teardown.
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { signalProcessGroup, stdinOf, superviseProcess } from "../../executors/supervise-process.js";
import { RunnerError } from "../../runner-error.js";
import type { ExecResult } from "../../types.js";
import { ContainerError } from "../container-error.js";
import type { Crun } from "./crun.js";
import {
  buildOciSpec,
  buildProcessSpec,
  type BindMount,
  type ContainerProcess,
  type ProcessUser,
  type ResourceLimits,
} from "./oci-spec.js";
import { findInContainer } from "./find-in-container.js";
import type { IdMap } from "./id-mapping.js";
import { makeRootMountPoint, mountOverlay, unmountOverlay } from "./overlay.js";

/** Where the host's static busybox appears in every container: our init and tools for images without a shell. */
export const containerBusybox = "/.hangar/busybox";

/** PID 1 of a job container: waits forever, reaps orphans, exits on TERM; needs nothing from the image. */
export const keepAliveArgs = [
  containerBusybox,
  "sh",
  "-c",
  `trap 'exit 0' TERM; while :; do ${containerBusybox} sleep 3600 & wait $!; done`,
];

const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

export interface ContainerConfig {
  /** Unique on this host: the crun id and cgroup name. */
  id: string;
  hostname: string;
  /** Bundle, overlay upper/work and logs go here. */
  dir: string;
  /** The image's read-only rootfs. */
  lowerDir: string;
  process: ContainerProcess;
  mounts: BindMount[];
  networkNamespace?: string;
  limits: ResourceLimits;
  busybox: string;
  /** Run in a user namespace with this mapping; lowerDir must be unpacked shifted by it. */
  idMap?: IdMap;
  isSeccompUnconfined?: boolean;
}

export interface ContainerExecSpec {
  args: string[];
  env: string[];
  cwd: string;
  user?: ProcessUser;
  signal?: AbortSignal;
  timeoutMs?: number;
  stdin?: Readable;
}

export class Container {
  /** The main process's stdout and stderr. */
  readonly logFile: string;
  private execCount = 0;
  private isStarted = false;
  /** The mounted overlay, once start() made it. */
  private rootfs: string | undefined;

  constructor(
    private readonly crun: Crun,
    readonly config: ContainerConfig,
  ) {
    this.logFile = join(config.dir, "container.log");
  }

  async start(): Promise<void> {
    const { config } = this;
    await mkdir(config.dir, { recursive: true });
    this.isStarted = true;
    const rootfs = await makeRootMountPoint(config.id);
    this.rootfs = rootfs;
    await mountOverlay(config.lowerDir, join(config.dir, "overlay"), rootfs);
    const spec = buildOciSpec({
      hostname: config.hostname,
      rootfs,
      process: config.process,
      mounts: [
        { source: config.busybox, destination: containerBusybox, readOnly: true, keepHostIds: true },
        ...(config.idMap ? await withSourceOwners(config.mounts) : config.mounts),
      ],
      networkNamespace: config.networkNamespace,
      cgroupsPath: `/hangar/${config.id}`,
      limits: config.limits,
      ...(config.idMap ? { idMap: config.idMap } : {}),
      isSeccompUnconfined: config.isSeccompUnconfined,
    });
    const bundle = join(config.dir, "bundle");
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
    const crunLog = join(config.dir, "crun-run.log");
    // The main process inherits these descriptors, so its output lands in the log file without a reader of ours.
    const logFd = openSync(this.logFile, "a");
    let exitCode: number | null;
    try {
      const line = this.crun.commandLine(["run", "--detach", "--bundle", bundle, config.id], crunLog);
      const child = spawn(line.command, line.args, { stdio: ["ignore", logFd, logFd] });
      exitCode = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) => resolve(code));
      });
    } finally {
      closeSync(logFd);
    }
    if (exitCode !== 0) {
      const reason =
        (await readFile(crunLog, "utf8").catch(() => "")).trim() || `crun exited with ${exitCode}`;
      throw new ContainerError(
        "CONTAINER_START_FAILED",
        `container ${config.hostname} did not start: ${reason}`,
      );
    }
  }

  /** `which` for the container's processes: the overlay root and bind mounts as the container sees them. */
  findExecutable(command: string, pathVariable: string): string | undefined {
    if (!this.rootfs) return undefined;
    const mounts = [{ source: this.config.busybox, destination: containerBusybox }, ...this.config.mounts];
    return findInContainer(this.rootfs, mounts, command, pathVariable);
  }

  /** Whether the container's main process still runs. */
  async isRunning(): Promise<boolean> {
    const state = await this.crun
      .run(["state", this.config.id], "CONTAINER_START_FAILED")
      .catch(() => undefined);
    if (!state) return false;
    return (JSON.parse(state.stdout) as { status: string }).status === "running";
  }

  /**
   * Runs a process inside the container with HostExecutor's semantics: output streamed as it comes, abort or
   * timeout → TERM to the process group, grace period, KILL. RunnerError RUNNER_SPAWN_FAILED when crun cannot
   * start the process (no such executable or cwd).
   */
  async exec(
    spec: ContainerExecSpec,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    if (spec.signal?.aborted) return { exitCode: null, signal: null, timedOut: false, cancelled: true };
    const number = ++this.execCount;
    const processFile = join(this.config.dir, `exec-${number}.json`);
    const pidFile = join(this.config.dir, `exec-${number}.pid`);
    const crunLog = join(this.config.dir, `exec-${number}.log`);
    const process = buildProcessSpec({
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      user: spec.user ?? this.config.process.user,
    });
    await writeFile(processFile, JSON.stringify(process));
    try {
      const outcome = await this.runExec(
        ["exec", "--process", processFile, "--pid-file", pidFile, this.config.id],
        crunLog,
        spec,
        pidFile,
        onOutput,
      );
      // crun exits 255 with a logged reason when the process could not start at all.
      if (outcome.exitCode === 255) {
        const reason = (await readFile(crunLog, "utf8").catch(() => "")).trim();
        if (reason !== "") {
          throw new RunnerError(
            "RUNNER_SPAWN_FAILED",
            `Could not start '${spec.args[0]}' in '${spec.cwd}': ${reason}`,
          );
        }
      }
      return outcome;
    } finally {
      await Promise.all([processFile, pidFile, crunLog].map((path) => rm(path, { force: true })));
    }
  }

  private async runExec(
    args: string[],
    crunLog: string,
    spec: ContainerExecSpec,
    pidFile: string,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    let stepGroup: number | undefined;
    /** crun's child makes a new session for the process; its group, read from the pid file, holds the step. */
    const findStepGroup = (): number | undefined => {
      if (stepGroup !== undefined) return stepGroup;
      try {
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        stepGroup = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      } catch {
        return undefined; // Not started yet, or already gone.
      }
      return stepGroup;
    };
    const result = await superviseProcess(
      {
        command: spec.args[0],
        args: spec.args.slice(1),
        cwd: spec.cwd,
        signal: spec.signal,
        timeoutMs: spec.timeoutMs,
        stdin: spec.stdin,
      },
      () => this.crun.spawn(args, crunLog, stdinOf(spec)),
      (child) => ({
        // Both groups: the step's inside the container and crun exec's own, which waits for it.
        signal: (signal) =>
          [findStepGroup(), child.pid].map((group) => signalProcessGroup(group, signal)).includes(true),
      }),
      onOutput,
    );
    // crun reports a process ended by a signal as 128+n; when we sent it, say so as HostExecutor does.
    const signal =
      result.exitCode !== null && result.exitCode > 128 ? signalNames.get(result.exitCode - 128) : undefined;
    if ((result.cancelled || result.timedOut) && signal) return { ...result, exitCode: null, signal };
    return result;
  }

  /** Kills every process, deletes the crun state and cgroup, unmounts the overlay; the dir itself stays. */
  async remove(): Promise<void> {
    if (!this.isStarted) return;
    await this.crun.remove(this.config.id);
    if (this.rootfs) await unmountOverlay(this.rootfs);
    this.rootfs = undefined;
    this.isStarted = false;
  }
}

/** Idmapped mounts are mapped by who owns their source; a missing source is left for crun to name. */
async function withSourceOwners(mounts: BindMount[]): Promise<BindMount[]> {
  return Promise.all(
    mounts.map(async (mount) => {
      const owner = mount.keepHostIds ? undefined : await stat(mount.source).catch(() => undefined);
      return owner ? { ...mount, sourceOwner: { uid: owner.uid, gid: owner.gid } } : mount;
    }),
  );
}
