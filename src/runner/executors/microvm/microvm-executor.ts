// Runs each job in its own QEMU microVM taken from a warm pool; the job's dirs are a 9p share seen at the same path on both sides.
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { join, resolve } from "node:path";
import { fillWorkspace, jobDirectoriesIn } from "../job-root.js";
import { killGracePeriodMs } from "../host-executor.js";
import { RunnerError } from "../../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../../types.js";
import type { AgentExit } from "./agent-protocol.js";
import { findGuestExecutable, readGuestImage, type GuestImage } from "./guest-image.js";
import { GuestVm, type Accelerator, type GuestVmOptions } from "./guest-vm.js";
import { WarmPool } from "./warm-pool.js";
import { portableNodePath, preparePortableNode, type PortableNode } from "../../portable-node.js";

export interface MicroVmExecutorOptions {
  /** Each VM's sockets and job share live in `<baseDir>/vm-<n>`. */
  baseDir: string;
  /** Made by `hangar vm build` (vmlinuz, initramfs.cpio.gz, manifest.json). */
  imageDir: string;
  /** Booted VMs kept ready; 0 boots every job's VM cold. Default 2. */
  poolSize?: number;
  memoryMiB?: number;
  cpus?: number;
  /** "auto" uses KVM when /dev/kvm is usable and a probe VM boots with it, else software emulation (TCG). */
  accel?: Accelerator | "auto";
  qemuBinary?: string;
  /** Keep the job's share dir after cleanup (debugging). */
  keepWorkspace?: boolean;
  /** Default 120 s: a TCG boot takes seconds here, and more when both cores are busy. */
  bootTimeoutMs?: number;
  /**
   * Default true: boot one template VM, save its state, and start every VM from that state (well under a second
   * instead of seconds). Should that fail, VMs boot as without.
   */
  snapshot?: boolean;
  /** Told once when snapshots fail and VMs boot instead. Default: process.emitWarning. */
  onWarning?: (message: string) => void;
  /** Where the runner's portable node for JavaScript actions is kept (portable-node.ts). Default `<baseDir>/node`. */
  nodeStoreDir?: string;
}

/** The template VM's saved state that pool VMs start from. */
export interface VmSnapshot {
  file: string;
  bytes: number;
  /** From `stop` to the migration's completion. */
  saveMs: number;
}

/** A KVM probe that has not answered by then means KVM cannot boot our kernel (nested KVM here hangs). */
const kvmProbeTimeoutMs = 10_000;
/** How long the agent has to report EXIT after a KILL before the VM is declared lost. */
const agentAnswerMs = 5000;
const signalNumbers = osConstants.signals;

interface ActiveJob {
  vm: GuestVm;
  vmDir: string;
}

export class MicroVmExecutor implements Executor {
  readonly name = "microvm";
  private readonly options: Required<Omit<MicroVmExecutorOptions, "accel">> & { accel: Accelerator | "auto" };
  private template: Promise<VmSnapshot | undefined> | undefined;
  private savedSnapshot: VmSnapshot | undefined;
  /** The state file, kept to be removed at close() even after restores were given up. */
  private snapshotFile: string | undefined;
  private areSnapshotsAbandoned = false;
  private image: Promise<GuestImage> | undefined;
  private loadedImage: GuestImage | undefined;
  /** Prepared with the image: every VM's command line shares it, so it must be known before the first one. */
  private node: PortableNode | undefined;
  private accel: Promise<Accelerator> | undefined;
  private resolvedAccel: Accelerator | undefined;
  private readonly pool: WarmPool<GuestVm>;
  private readonly jobs = new Map<string, ActiveJob>();
  private nextVm = 0;
  /** Every VM dir made by this executor and not yet removed, so close() leaves none behind. */
  private readonly vmDirs = new Set<string>();

  constructor(options: MicroVmExecutorOptions) {
    this.options = {
      baseDir: resolve(options.baseDir),
      imageDir: resolve(options.imageDir),
      poolSize: options.poolSize ?? 2,
      memoryMiB: options.memoryMiB ?? 512,
      cpus: options.cpus ?? 1,
      accel: options.accel ?? "auto",
      qemuBinary: options.qemuBinary ?? "qemu-system-x86_64",
      keepWorkspace: options.keepWorkspace ?? false,
      bootTimeoutMs: options.bootTimeoutMs ?? 120_000,
      snapshot: options.snapshot ?? true,
      onWarning: options.onWarning ?? ((message) => process.emitWarning(message)),
      nodeStoreDir: resolve(options.nodeStoreDir ?? join(options.baseDir, "node")),
    };
    for (const [field, value] of Object.entries({
      poolSize: this.options.poolSize,
      memoryMiB: this.options.memoryMiB,
      cpus: this.options.cpus,
    })) {
      if (!Number.isInteger(value) || value < (field === "poolSize" ? 0 : 1)) {
        throw new RunnerError(
          "RUNNER_CONFIG_INVALID",
          `microvm option ${field} must be a whole number, got ${value}`,
        );
      }
    }
    this.pool = new WarmPool(this.options.poolSize, () => this.bootVm());
  }

  /** Begins filling the warm pool (prepare() does too); resolves once the image was read. */
  async start(): Promise<void> {
    await this.loadImage();
    this.pool.fill();
  }

  /** Resolves once the pool holds `poolSize` ready VMs; for benches and tests. */
  async whenPoolFull(): Promise<void> {
    await this.start();
    await this.pool.whenFull();
  }

  /** The accelerator VMs boot with; undefined while "auto" has not probed yet. */
  get accelerator(): Accelerator | undefined {
    return this.options.accel === "auto" ? this.resolvedAccel : this.options.accel;
  }

  get readyVmCount(): number {
    return this.pool.readyCount;
  }

  /** The template state VMs start from; undefined before it was saved, without snapshots, or once they failed. */
  get snapshot(): VmSnapshot | undefined {
    return this.savedSnapshot;
  }

  async prepare(spec: PrepareJobSpec): Promise<JobDirectories> {
    await this.start();
    const vm = await this.pool.take();
    const vmDir = join(vm.shareDir, "..");
    try {
      if (spec.network === "none") await vm.disconnectNetwork();
      const root = vm.shareDir;
      const dirs = jobDirectoriesIn(root);
      for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
      // The guest cannot see host paths outside its share, so a given checkout is copied in (and not written back).
      await fillWorkspace(dirs, spec, false);
      this.jobs.set(root, { vm, vmDir });
      return dirs;
    } catch (error) {
      await this.destroyVm(vm, vmDir);
      throw error;
    }
  }

  /** Destroys the job's VM; its share goes too unless keepWorkspace. */
  async cleanup(dirs: JobDirectories): Promise<void> {
    const root = join(dirs.temp, "..");
    const job = this.jobs.get(root);
    if (!job) return;
    this.jobs.delete(root);
    await this.destroyVm(job.vm, job.vmDir);
  }

  /** Stops the pool and every VM still running a job. */
  async close(): Promise<void> {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all([this.pool.close(), ...jobs.map((job) => this.destroyVm(job.vm, job.vmDir))]);
    await this.template;
    if (this.snapshotFile) await rm(this.snapshotFile, { force: true });
    if (!this.options.keepWorkspace) await Promise.all([...this.vmDirs].map((dir) => this.removeVmDir(dir)));
  }

  /** The same semantics as HostExecutor.exec, with the process group inside the job's VM. */
  async exec(
    spec: ExecSpec,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    if (spec.signal?.aborted) return { exitCode: null, signal: null, timedOut: false, cancelled: true };
    const job = this.findJob(spec);
    const image = await this.loadImage();
    const command = spec.command === process.execPath ? this.guestNode(image) : spec.command;
    let resolveExit: (exit: AgentExit) => void = () => undefined;
    const exited = new Promise<AgentExit>((resolvePromise) => (resolveExit = resolvePromise));
    const { id, reply } = await job.vm.exec(
      spec.cwd,
      [command, ...spec.args],
      spec.env,
      { onOutput, onExit: resolveExit },
      spec.stdin,
    );
    if (reply.errno !== 0) {
      throw new RunnerError(
        "RUNNER_SPAWN_FAILED",
        `Could not start '${spec.command}' in '${spec.cwd}': ${reply.message}`,
      );
    }
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let lostTimer: NodeJS.Timeout | undefined;
    let lost: ((error: RunnerError) => void) | undefined;
    const agentLost = new Promise<never>((_, reject) => (lost = reject));
    agentLost.catch(() => undefined);
    const terminate = (): void => {
      if (killTimer) return;
      job.vm.signal(id, signalNumbers.SIGTERM);
      killTimer = setTimeout(() => {
        job.vm.signal(id, signalNumbers.SIGKILL);
        lostTimer = setTimeout(() => {
          void job.vm.ping(agentAnswerMs).then((isAnswering) => {
            if (isAnswering) return;
            const error = job.vm.failure("the guest agent did not answer after KILL; the VM was destroyed");
            void job.vm.destroy();
            lost?.(error);
          });
        }, agentAnswerMs);
      }, killGracePeriodMs);
    };
    const onAbort = (): void => {
      cancelled = true;
      terminate();
    };
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    const timeoutTimer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            terminate();
          }, spec.timeoutMs);
    try {
      const exit = await Promise.race([exited, agentLost]);
      if (!job.vm.isAlive) throw job.vm.failure("the VM stopped while the step ran");
      const signal = exit.signalNumber === 0 ? null : (signalName(exit.signalNumber) ?? null);
      return { exitCode: exit.exitCode, signal, timedOut, cancelled };
    } finally {
      spec.signal?.removeEventListener("abort", onAbort);
      for (const timer of [timeoutTimer, killTimer, lostTimer]) if (timer) clearTimeout(timer);
    }
  }

  /** exec() has no job handle: the job is the one whose share holds the cwd (or an env path such as RUNNER_TEMP). */
  private findJob(spec: ExecSpec): ActiveJob {
    const job = this.jobs.get(join(spec.job.temp, ".."));
    if (!job) {
      throw new RunnerError(
        "RUNNER_SPAWN_FAILED",
        `Could not start '${spec.command}': its job is not one this microVM executor prepared`,
      );
    }
    return job;
  }

  /** The image's own file list answers: the runner's PATH may name host directories the guest lacks. */
  findExecutable(command: string, pathVariable: string | undefined): string | undefined {
    if (!this.loadedImage) return undefined;
    return findGuestExecutable(this.loadedImage.manifest, command, pathVariable);
  }

  /** JavaScript actions run on the runner's own node shared into the VM, else on the guest's nodejs package. */
  private guestNode(image: GuestImage): string {
    if (this.node && "hostDir" in this.node) return portableNodePath;
    if (image.manifest.hasNode) return "node";
    throw new RunnerError(
      "RUNNER_SPAWN_FAILED",
      `JavaScript actions need node in the guest: ${this.node?.unavailable ?? "the runner's node is not prepared"}; ` +
        `or rebuild the image with 'hangar vm build --package nodejs --out ${image.dir}'`,
    );
  }

  private loadImage(): Promise<GuestImage> {
    this.image ??= Promise.all([
      readGuestImage(this.options.imageDir),
      preparePortableNode(this.options.nodeStoreDir),
    ]).then(([image, node]) => {
      this.node = node;
      return (this.loadedImage = image);
    });
    this.image.catch(() => (this.image = undefined));
    return this.image;
  }

  private async bootVm(): Promise<GuestVm> {
    const image = await this.loadImage();
    const accel = await this.resolveAccel(image);
    const snapshot = await this.templateFor(image, accel);
    if (snapshot) {
      try {
        return await this.startVm(image, accel, (options) => GuestVm.restore(options, snapshot.file));
      } catch (error) {
        this.abandonSnapshots(`restoring a microVM from ${snapshot.file} failed`, error);
      }
    }
    return this.startVm(image, accel, (options) => GuestVm.boot(options));
  }

  private async startVm(
    image: GuestImage,
    accel: Accelerator,
    start: (options: GuestVmOptions) => Promise<GuestVm>,
  ): Promise<GuestVm> {
    const options = this.vmOptions(image, accel, this.options.bootTimeoutMs);
    this.vmDirs.add(options.vmDir);
    try {
      return await start(options);
    } catch (error) {
      await this.removeVmDir(options.vmDir);
      throw error;
    }
  }

  /** Saves the template once per executor: image, memory, cpus and accelerator are fixed for its lifetime. */
  private templateFor(image: GuestImage, accel: Accelerator): Promise<VmSnapshot | undefined> {
    if (!this.options.snapshot) return Promise.resolve(undefined);
    this.template ??= (async () => {
      const options = this.vmOptions(image, accel, this.options.bootTimeoutMs);
      const file = `${options.vmDir}.vmstate`;
      this.snapshotFile = file;
      this.vmDirs.add(options.vmDir);
      try {
        const saveMs = await GuestVm.saveTemplate(options, file);
        this.savedSnapshot = { file, bytes: (await stat(file)).size, saveMs };
        return this.savedSnapshot;
      } catch (error) {
        this.abandonSnapshots("saving a template microVM failed", error);
        return undefined;
      } finally {
        await this.removeVmDir(options.vmDir);
      }
    })();
    return this.template;
  }

  private abandonSnapshots(what: string, error: unknown): void {
    this.template = Promise.resolve(undefined);
    this.savedSnapshot = undefined;
    if (this.areSnapshotsAbandoned) return;
    this.areSnapshotsAbandoned = true;
    this.options.onWarning(`${what}, booting every VM instead: ${(error as Error).message}`);
  }

  private vmOptions(image: GuestImage, accel: Accelerator, bootTimeoutMs: number) {
    return {
      image,
      vmDir: join(this.options.baseDir, `vm-${process.pid}-${this.nextVm++}`),
      accel,
      memoryMiB: this.options.memoryMiB,
      cpus: this.options.cpus,
      qemuBinary: this.options.qemuBinary,
      bootTimeoutMs,
      ...(this.node && "hostDir" in this.node ? { nodeDir: this.node.hostDir } : {}),
    };
  }

  private resolveAccel(image: GuestImage): Promise<Accelerator> {
    if (this.options.accel !== "auto") return Promise.resolve(this.options.accel);
    this.accel ??= (async () => {
      try {
        accessSync("/dev/kvm", fsConstants.R_OK | fsConstants.W_OK);
      } catch {
        return "tcg";
      }
      const options = this.vmOptions(image, "kvm", kvmProbeTimeoutMs);
      try {
        const probe = await GuestVm.boot(options);
        await probe.destroy();
        return "kvm";
      } catch {
        return "tcg";
      } finally {
        await this.removeVmDir(options.vmDir);
      }
    })();
    void this.accel.then((accel) => (this.resolvedAccel = accel));
    return this.accel;
  }

  private async destroyVm(vm: GuestVm, vmDir: string): Promise<void> {
    await vm.destroy();
    if (!this.options.keepWorkspace) await this.removeVmDir(vmDir);
  }

  private async removeVmDir(vmDir: string): Promise<void> {
    await rm(vmDir, { recursive: true, force: true });
    this.vmDirs.delete(vmDir);
  }
}

function signalName(signo: number): string | undefined {
  return Object.entries(signalNumbers).find(([, value]) => value === signo)?.[0];
}
