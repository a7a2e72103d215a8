// The executor flags shared by `hangar run`, `hangar serve` and `hangar runner run`: which executor runs jobs, label
// routes, the network of trusted jobs, sandbox limits and the microVM pool. Builds the executors and closes them.
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  createSandboxExecutor,
  defaultSandboxLimits,
  HostExecutor,
  MicroVmExecutor,
  parseExecutorKind,
  parseLabelRoutes,
  reclaimDeadJobNetworks,
  RunnerError,
  type Executor,
  type ExecutorKind,
  type JobNetwork,
  type LabelRoute,
  type RunnerPlacement,
  type SandboxLimits,
} from "../runner/index.js";
import { UsageError } from "./exit-codes.js";

export const executorOptions = {
  executor: { type: "string" },
  "label-map": { type: "string", multiple: true },
  network: { type: "string" },
  "job-memory": { type: "string" },
  "job-cpus": { type: "string" },
  "job-pids": { type: "string" },
  seccomp: { type: "boolean" },
  "keep-workspace": { type: "boolean" },
  "user-home": { type: "boolean" },
  "allow-no-limits": { type: "boolean" },
  "vm-image": { type: "string" },
  "vm-pool": { type: "string" },
  "vm-memory": { type: "string" },
  "vm-cpus": { type: "string" },
  "vm-accel": { type: "string" },
  "vm-no-snapshot": { type: "boolean" },
} as const;

export function executorUsage(defaultKind: ExecutorKind): string {
  return `Executors:
      --executor KIND       host, sandbox or microvm (default: $HANGAR_EXECUTOR, else ${defaultKind}). host runs
                            steps as this user on this machine: for trusted code only
      --label-map L=KIND    run jobs whose runs-on includes label L with executor KIND instead (repeatable);
                            L=docker://IMAGE runs them as container jobs on IMAGE (like act's -P)
      --network N           host or none: the network of sandbox and microvm jobs (default: host); jobs of a
                            pull request from a fork always get none
      --job-memory SIZE     sandbox memory limit per job, e.g. 512m, 4g (default: 4g)
      --job-cpus N          sandbox CPU quota per job in cores, e.g. 1.5 (default: none)
      --job-pids N          sandbox process limit per job (default: 4096)
      --seccomp             sandbox: deny dangerous system calls (ptrace, mount, bpf, ...)
      --allow-no-limits     sandbox: run without limits when this host's cgroups cannot be used
      --keep-workspace      keep each job's directories (its workspace among them) after it ends, and say where
      --user-home           host: jobs run with your HOME rather than one of their own under <data dir>/homes
                            (kept between runs; your tools and config files under HOME stay reachable)
      --vm-image DIR        microvm: the guest made by 'hangar vm build' (default: <data dir>/vm)
      --vm-pool N           microvm: booted VMs kept ready (default: 2; 0 boots each job's VM cold)
      --vm-memory MIB       microvm: memory per VM (default: 512)
      --vm-cpus N           microvm: vCPUs per VM (default: 1)
      --vm-accel A          microvm: kvm, tcg or auto (default: auto)
      --vm-no-snapshot      microvm: boot every VM instead of restoring a saved template (saves its memory-sized
                            state file)
`;
}

type ExecutorValues = {
  [K in keyof typeof executorOptions]?: (typeof executorOptions)[K] extends { multiple: true }
    ? string[]
    : (typeof executorOptions)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

export interface OpenedPlacement {
  placement: RunnerPlacement;
  /** One line per executor: what it is and what it warns about, for the command to print at start. */
  describe: string[];
  close(): Promise<void>;
}

/**
 * Where isolated jobs' directories go: `<data dir>/jobs` unless, as root, some parent is closed to other users (the
 * default data dir lies in root's 0700 home), since sandboxed jobs run as unprivileged uids that must reach their
 * own directory. Then a per-data-dir directory under the system's temp dir.
 */
export async function isolatedJobsDir(dataDir: string): Promise<string> {
  const preferred = path.join(path.resolve(dataDir), "jobs");
  if (process.getuid?.() !== 0 || (await isReachableByEveryone(path.dirname(preferred)))) return preferred;
  const tag = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `hangar-jobs-${tag}`);
}

async function isReachableByEveryone(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    const mode = await stat(current).then(
      (info) => info.mode,
      () => undefined,
    );
    // A directory still to be created will be made traversable.
    if (mode !== undefined && (mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

/** Builds the default executor and every executor a label route names, each once; jobs live below `jobsDir`. */
export async function openPlacement(
  values: ExecutorValues,
  context: { dataDir: string; jobsDir: string; defaultKind: ExecutorKind; warn: (message: string) => void },
): Promise<OpenedPlacement> {
  const fromEnv = process.env["HANGAR_EXECUTOR"];
  const kind =
    values.executor !== undefined
      ? parseKind(values.executor, "--executor")
      : fromEnv
        ? parseKind(fromEnv, "HANGAR_EXECUTOR")
        : context.defaultKind;
  const routes = readLabelRoutes(values["label-map"] ?? []);
  const network = readNetwork(values.network);
  // Any job may have services or a container, whatever its executor: every runner start sweeps job networks.
  await reclaimDeadJobNetworks(context.warn);
  const built = new Map<ExecutorKind, Executor>();
  const describe: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  const open = async (wanted: ExecutorKind): Promise<Executor> => {
    const existing = built.get(wanted);
    if (existing) return existing;
    const executor = await buildExecutor(wanted, values, context, describe, closers);
    built.set(wanted, executor);
    return executor;
  };
  try {
    const executor = await open(kind);
    const executorsByLabel = new Map<string, Executor>();
    // Container jobs need no executor of their own: the runner runs them on crun with images from <data dir>/images.
    const imagesByLabel = new Map<string, string>();
    for (const route of routes) {
      if ("image" in route.target) imagesByLabel.set(route.label.toLowerCase(), route.target.image);
      else executorsByLabel.set(route.label.toLowerCase(), await open(route.target.executor));
    }
    for (const [label, image] of imagesByLabel)
      describe.push(`jobs on '${label}' run as container jobs on ${image}`);
    if (network === "none" && [...built.values()].some((each) => each.name === "host")) {
      throw new UsageError("--network none: the host executor cannot take a job's network away");
    }
    return {
      placement: { executor, executorsByLabel, imagesByLabel, network, warn: context.warn },
      describe,
      close: async () => {
        await Promise.all(closers.map((close) => close()));
      },
    };
  } catch (error) {
    await Promise.all(closers.map((close) => close()));
    if (error instanceof RunnerError) throw new UsageError(error.message);
    throw error;
  }
}

async function buildExecutor(
  kind: ExecutorKind,
  values: ExecutorValues,
  context: { dataDir: string; jobsDir: string; warn: (message: string) => void },
  describe: string[],
  closers: (() => Promise<void>)[],
): Promise<Executor> {
  const baseDir = path.join(context.jobsDir, kind);
  const keepWorkspace = values["keep-workspace"] ?? false;
  const onKept = (root: string) => context.warn(`kept the job's directories in ${root}`);
  if (kind === "host") {
    describe.push("host executor: steps run as this user on this machine, unisolated (trusted code only)");
    return new HostExecutor({
      baseDir,
      keepWorkspace,
      onKept,
      ...(values["user-home"] ? {} : { homesDir: path.join(context.dataDir, "homes") }),
    });
  }
  if (kind === "sandbox") {
    const asked = readLimits(values);
    const sandbox = await createSandboxExecutor({
      baseDir,
      limits: asked,
      seccomp: values.seccomp ?? false,
      keepWorkspace,
      onKept,
      allowWithoutCgroups: values["allow-no-limits"] ?? false,
      warn: context.warn,
      // uids are handed out per process: runners on one host each take their own range (pids are unique among them).
      uidBase: 200_000 + (process.pid % 100_000) * 1000,
    });
    const limits = { ...defaultSandboxLimits, ...asked };
    const cgroups = sandbox.cgroupVersion ? `cgroup v${sandbox.cgroupVersion} limits` : "NO limits";
    describe.push(
      `sandbox executor: bubblewrap, ${cgroups} (memory ${limits.memoryBytes} bytes, ${limits.pids} processes, ` +
        `${limits.cpus ?? "unlimited"} cpus per job), seccomp ${values.seccomp ? "on" : "off"}`,
      ...sandbox.warnings.map((text) => `WARNING: ${text}`),
    );
    return sandbox;
  }
  const imageDir = values["vm-image"] ? path.resolve(values["vm-image"]) : path.join(context.dataDir, "vm");
  const poolSize = readCount(values["vm-pool"], "--vm-pool", 0);
  const microvm = new MicroVmExecutor({
    baseDir,
    imageDir,
    poolSize,
    memoryMiB: readCount(values["vm-memory"], "--vm-memory", 64),
    cpus: readCount(values["vm-cpus"], "--vm-cpus", 1),
    accel: readAccel(values["vm-accel"]),
    snapshot: !(values["vm-no-snapshot"] ?? false),
    nodeStoreDir: path.join(context.dataDir, "node"),
    keepWorkspace,
    onWarning: context.warn,
  });
  closers.push(() => microvm.close());
  await microvm.start();
  const starts = values["vm-no-snapshot"] ? "booted" : "restored from a saved template";
  describe.push(
    `microvm executor: QEMU microVMs from ${imageDir}, a warm pool of ${poolSize ?? 2}, ${starts}`,
  );
  return microvm;
}

/** `--label-map` values, a malformed one a usage error. */
export function readLabelRoutes(values: string[]): LabelRoute[] {
  try {
    return parseLabelRoutes(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseKind(value: string, flag: string): ExecutorKind {
  try {
    return parseExecutorKind(value, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function readNetwork(value: string | undefined): JobNetwork {
  if (value === undefined || value === "host" || value === "none") return value ?? "host";
  throw new UsageError(`--network must be host or none, got '${value}'`);
}

function readLimits(values: ExecutorValues): SandboxLimits {
  const limits: SandboxLimits = {};
  if (values["job-memory"] !== undefined) limits.memoryBytes = readSize(values["job-memory"], "--job-memory");
  if (values["job-pids"] !== undefined) limits.pids = readCount(values["job-pids"], "--job-pids", 1);
  if (values["job-cpus"] !== undefined) {
    const cpus = Number(values["job-cpus"]);
    if (!Number.isFinite(cpus) || cpus < 0.01)
      throw new UsageError(
        `--job-cpus must be a number of cores of at least 0.01, got '${values["job-cpus"]}'`,
      );
    limits.cpus = cpus;
  }
  return limits;
}

const sizeUnits: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m`, `4g`, `1048576`: binary units, as docker's --memory reads them. */
export function readSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  const bytes = match ? Math.floor(Number(match[1]) * sizeUnits[match[2]!.toLowerCase()]!) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1024 * 1024)
    throw new UsageError(`${flag} must be a size of at least 1m such as 512m or 4g, got '${text}'`);
  return bytes;
}

function readCount(text: string | undefined, flag: string, minimum: number): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!Number.isInteger(count) || count < minimum)
    throw new UsageError(`${flag} must be a whole number of at least ${minimum}, got '${text}'`);
  return count;
}

function readAccel(text: string | undefined): "kvm" | "tcg" | "auto" | undefined {
  if (text === undefined || text === "kvm" || text === "tcg" || text === "auto") return text;
  throw new UsageError(`--vm-accel must be kvm, tcg or auto, got '${text}'`);
}

/** The variables a sandboxed or microVM job inherits from the runner: never its tokens, keys or data dir. */
export function isolatedBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const passed = /^(PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$/;
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => passed.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}
