// Runs a job's steps inside its job container (`jobs.<id>.container`), next to its service containers; owns their teardown.
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { boundWorkspace, fillWorkspace, jobDirectoriesIn, makeJobRoot } from "../executors/job-root.js";
import { RunnerError } from "../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../types.js";
import { ContainerError } from "./container-error.js";
import { portableNodeDir, portableNodePath, type PortableNode } from "../portable-node.js";
import { buildEnvironment, toEnvList } from "./runtime/container-env.js";
import {
  JobContainers,
  jobContainerName,
  type ContainerDefinition,
  type ServiceDefinition,
  type StartedContainer,
} from "./runtime/job-containers.js";
import type { BindMount, ResourceLimits } from "./runtime/oci-spec.js";

export interface ContainerExecutorOptions {
  /** Per-job directories are created below this directory. */
  baseDir: string;
  /** `jobs.<id>.container` with its image already in the image store. */
  container: ContainerDefinition;
  services?: ServiceDefinition[];
  limits?: ResourceLimits;
  /** The runner's node for JavaScript action steps, mounted where GitHub puts it; see portable-node.ts. */
  node?: PortableNode;
  /** Run the containers in a user namespace (container root an unprivileged host uid); default: when the host can. */
  userns?: boolean;
}

/** Where GitHub's Docker actions and container jobs find the workspace, home and file commands. */
const githubHome = "/github/home";

export class ContainerExecutor implements Executor {
  readonly name = "container";
  private readonly baseDir: string;
  private job: { root: string; containers: JobContainers; jobContainer: StartedContainer } | undefined;

  constructor(private readonly options: ContainerExecutorOptions) {
    this.baseDir = resolve(options.baseDir);
  }

  /** Creates the job dirs, the job network, every service (healthy) and then the job container. */
  async prepare(spec: PrepareJobSpec): Promise<JobDirectories> {
    if (this.job)
      throw new ContainerError("CONTAINER_START_FAILED", "this container executor already runs a job");
    await mkdir(this.baseDir, { recursive: true });
    const root = await makeJobRoot(this.baseDir, spec);
    const dirs = jobDirectoriesIn(root, boundWorkspace(spec), spec.toolCache);
    const home = join(root, "home");
    for (const dir of [...Object.values(dirs), home]) await mkdir(dir, { recursive: true });
    let containers: JobContainers | undefined;
    try {
      await fillWorkspace(dirs, spec, false);
      containers = await JobContainers.create({
        dir: join(root, "containers"),
        network: spec.network ?? "host",
        limits: this.options.limits,
        userns: this.options.userns,
      });
      for (const service of this.options.services ?? []) await containers.startService(service);
      const jobContainer = await containers.startJobContainer(
        { ...this.options.container, env: { HOME: githubHome, ...this.options.container.env } },
        [...jobMounts(dirs, home), ...nodeMounts(this.options.node)],
      );
      this.job = { root, containers, jobContainer };
    } catch (error) {
      await containers?.destroy().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
      throw error;
    }
    return dirs;
  }

  /** The services and the job container as `job.services` / `job.container` describe them. */
  get containers(): readonly StartedContainer[] {
    return this.job?.containers.containers ?? [];
  }

  /** The job's containers and network while the job runs: Docker action steps join them. */
  get jobContainers(): JobContainers | undefined {
    return this.job?.containers;
  }

  /** The text each service logged so far, by service name; read it before cleanup(). */
  async readServiceLogs(): Promise<Record<string, string>> {
    const logs: Record<string, string> = {};
    for (const started of this.containers) {
      if (started.name !== jobContainerName && this.job)
        logs[started.name] = await this.job.containers.readLog(started);
    }
    return logs;
  }

  /** Where the job container's processes find `command` (e.g. "bash", to pick the default shell); PATH defaults to the container's. */
  findExecutable(command: string, pathVariable: string | undefined): string | undefined {
    const { jobContainer } = this.requireJob();
    return jobContainer.container.findExecutable(command, pathVariable ?? jobContainer.env.PATH ?? "");
  }

  /**
   * Runs inside the job container with the container's environment (image env, `container.env`, options) under
   * spec.env: spec.env should hold the job's variables, not the host's, or the host's PATH would hide the image's.
   */
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult> {
    const { jobContainer } = this.requireJob();
    let command = spec.command;
    // JavaScript actions are started as the runner's own node; in the container that is the mounted copy.
    if (command === process.execPath) {
      const { node } = this.options;
      if (!node || "unavailable" in node) {
        const reason = node?.unavailable ?? "no node was given to this container executor";
        return Promise.reject(new RunnerError("RUNNER_SPAWN_FAILED", reason));
      }
      command = portableNodePath;
    }
    return jobContainer.container.exec(
      {
        args: [command, ...spec.args],
        env: toEnvList(buildEnvironment([], jobContainer.env, spec.env)),
        cwd: spec.cwd,
        signal: spec.signal,
        timeoutMs: spec.timeoutMs,
        stdin: spec.stdin,
      },
      onOutput,
    );
  }

  /** Tears down every container and the network, then removes the job's dirs (a given workspace is kept). */
  async cleanup(dirs: JobDirectories): Promise<void> {
    const job = this.job;
    if (!job || dirname(dirs.temp) !== job.root) return;
    this.job = undefined;
    try {
      await job.containers.destroy();
    } finally {
      await rm(job.root, { recursive: true, force: true });
    }
  }

  private requireJob(): NonNullable<ContainerExecutor["job"]> {
    if (!this.job)
      throw new RunnerError("RUNNER_SPAWN_FAILED", "the job container is not running; call prepare() first");
    return this.job;
  }
}

/**
 * The runner writes scripts and env files on the host and reads them back, so every job dir appears at its own
 * host path; the /github paths are where GitHub's container jobs and Docker actions look.
 */
function jobMounts(dirs: JobDirectories, home: string): BindMount[] {
  // The tool cache is the runner's to fill: the job reads it.
  const samePath = Object.entries(dirs).map(([name, dir]) => ({
    source: dir,
    destination: dir,
    ...(name === "toolCache" ? { readOnly: true } : {}),
  }));
  return [
    ...samePath,
    { source: dirs.workspace, destination: "/github/workspace" },
    { source: home, destination: githubHome },
    { source: dirs.fileCommands, destination: "/github/workflow" },
  ];
}

function nodeMounts(node: PortableNode | undefined): BindMount[] {
  return node && "hostDir" in node
    ? [{ source: node.hostDir, destination: portableNodeDir, readOnly: true }]
    : [];
}
