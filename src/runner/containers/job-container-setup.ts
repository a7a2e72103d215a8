// A job's containers: reads `container:` and `services:` (or the image a runs-on label maps to), pulls the images,
// and gives the job a container executor, or starts its services beside the runner's own executor. Docker action
// steps run through it as well. Owns the image leases and the teardown of what it started, never the job's dirs.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { Contexts, ExpressionValue, JobModel } from "../../workflow/index.js";
import type { ExecResult, JobNetwork, LogLine } from "../types.js";
import { ContainerError, type ContainerErrorCode } from "./container-error.js";
import { ContainerExecutor } from "./container-executor.js";
import { preparePortableNode } from "../portable-node.js";
import { ContainerSpecError, readJobContainer, readServices, type ContainerSpec } from "./container-spec.js";
import {
  parseImageReference,
  type ImageLease,
  type ImageStore,
  type RegistryCredentials,
  type UnpackedImage,
} from "./images/index.js";
import type { ContainerExecSpec } from "./runtime/container.js";
import {
  JobContainers,
  jobContainerName,
  type ContainerDefinition,
  type ServiceDefinition,
  type StartedContainer,
} from "./runtime/job-containers.js";
import type { BindMount } from "./runtime/oci-spec.js";
import { detectUserNamespace, userNamespaceNotice } from "./runtime/user-namespace.js";

/** Docs "Contexts: context availability": what `jobs.<id>.container` and `jobs.<id>.services` may read. */
const containerContextNames = ["github", "needs", "strategy", "matrix", "vars", "secrets", "inputs"];

/** Problems in what the workflow asks for, not in this machine: the job fails as the user's failure. */
const userErrorCodes = new Set<ContainerErrorCode>([
  "CONTAINER_BAD_OPTION",
  "IMAGE_INVALID_REFERENCE",
  "IMAGE_NOT_FOUND",
  "REGISTRY_UNAUTHORIZED",
]);

/** A `container:` or `services:` the workflow got wrong; the message names file:line:col and the field. */
export class JobContainerSpecFailure extends Error {}

/** Whether a failure to set up a job's containers is the workflow's fault (true) or this machine's (false). */
export function isUserContainerFailure(error: unknown): boolean {
  return (
    error instanceof JobContainerSpecFailure ||
    (error instanceof ContainerError && userErrorCodes.has(error.code))
  );
}

export interface JobContainerPlan {
  jobId: string;
  /** The job container: `container:`, else the image the job's runs-on label is mapped to. */
  container?: { spec: ContainerSpec; field: string };
  services: Map<string, ContainerSpec>;
}

/**
 * Evaluates `container:` and `services:` with the contexts GitHub allows there. A job naming its own container
 * keeps it; otherwise `labelImage` (`--label-map LABEL=docker://IMAGE`) makes it a container job, like act's -P.
 */
export async function readContainerPlan(
  job: JobModel,
  file: string,
  contexts: Contexts,
  evaluate: (token: TemplateToken, contexts: Contexts) => Promise<ExpressionValue>,
  labelImage?: string,
): Promise<JobContainerPlan> {
  const allowed = Object.fromEntries(containerContextNames.map((name) => [name, contexts[name]]));
  const read = async <T>(token: TemplateToken | undefined, reader: (value: ExpressionValue) => T) => {
    const value = token ? await evaluate(token, allowed) : undefined;
    try {
      return reader(value ?? null);
    } catch (error) {
      if (!(error instanceof ContainerSpecError)) throw error;
      const start = token?.range?.start ?? job.range.start;
      throw new JobContainerSpecFailure(`${file}:${start.line}:${start.column}: ${error.message}`);
    }
  };
  const containerField = `jobs.${job.id}.container`;
  const own = await read(job.container, (value) => readJobContainer(value, containerField));
  const services = await read(job.services, (value) => readServices(value, `jobs.${job.id}.services`));
  const labelSpec = labelImage
    ? { image: labelImage, env: {}, ports: [], volumes: [], options: "" }
    : undefined;
  const spec = own ?? labelSpec;
  return { jobId: job.id, ...(spec ? { container: { spec, field: containerField } } : {}), services };
}

export interface JobContainerSessionOptions {
  plan: JobContainerPlan;
  store: ImageStore;
  /** Overlays, bundles, logs and volumes of the job's containers go below this directory. */
  baseDir: string;
  /** The job's network: "none" keeps every container off the host's network. */
  network: JobNetwork;
  signal: AbortSignal;
  /** Progress for the job's log: pulls and service starts. */
  onLine: (line: LogLine) => void;
  /** `hangar run --dry-run`: references are checked, but nothing is pulled or started. */
  isDryRun?: boolean;
}

/** GitHub's names for the host paths a Docker action's container sees. */
export const actionContainerPaths = {
  workspace: "/github/workspace",
  home: "/github/home",
  workflow: "/github/workflow",
  fileCommands: "/github/file_commands",
} as const;

export class JobContainerSession {
  private readonly leases: ImageLease[] = [];
  private readonly services: ServiceDefinition[] = [];
  /** A runner job's own JobContainers, for its services and Docker action steps; made on first use. */
  private sideContainers: JobContainers | undefined;
  private sideDir: string | undefined;
  private stepContainers = 0;
  private jobExecutor: ContainerExecutor | undefined;
  private hasNotedUserNamespace = false;

  private constructor(private readonly options: JobContainerSessionOptions) {}

  /** Pulls every image the job needs before anything starts, so a bad image fails the job before its steps. */
  static async open(options: JobContainerSessionOptions): Promise<JobContainerSession> {
    const session = new JobContainerSession(options);
    const { plan } = options;
    try {
      for (const [name, spec] of plan.services) {
        const field = `jobs.${plan.jobId}.services.${name}.image`;
        const image = await session.pull(spec.image, field, spec.credentials);
        session.services.push({ name, image, ...definitionOf(spec) });
      }
      if (plan.container && !options.isDryRun) {
        const { spec, field } = plan.container;
        const image = await session.pull(spec.image, `${field}.image`, spec.credentials);
        session.jobExecutor = new ContainerExecutor({
          baseDir: path.join(options.baseDir, "jobs"),
          container: { image, ...definitionOf(spec) },
          services: session.services,
          node: await preparePortableNode(options.store.dir),
        });
      }
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  get store(): ImageStore {
    return this.options.store;
  }

  /** The container job's executor; undefined for a job on the runner's own executor. */
  get executor(): ContainerExecutor | undefined {
    return this.jobExecutor;
  }

  /** The image for a reference, pulled if needed and kept from removal until the job ends. */
  async pull(reference: string, field: string, credentials?: RegistryCredentials): Promise<UnpackedImage> {
    if (this.options.isDryRun) return dryRunImage(reference, field, this.options.onLine);
    const { image, lease } = await this.options.store.use(reference, {
      field,
      signal: this.options.signal,
      ...(credentials ? { credentials } : {}),
    });
    this.leases.push(lease);
    this.options.onLine({ stream: "system", text: `Image ${reference}: ${image.digest}` });
    await this.noteUserNamespace();
    return image;
  }

  /** Once per job, before its first container: the job's log says so when containers run as host root. */
  private async noteUserNamespace(): Promise<void> {
    if (this.hasNotedUserNamespace) return;
    this.hasNotedUserNamespace = true;
    const notice = userNamespaceNotice(await detectUserNamespace(this.options.baseDir));
    if (notice) {
      this.options.onLine({
        stream: "system",
        text: notice,
        annotation: { level: "warning", message: notice },
      });
    }
  }

  /** Keeps an image from removal until the job ends (one this job built, say). */
  hold(lease: ImageLease): void {
    this.leases.push(lease);
  }

  get hasServices(): boolean {
    return this.services.length > 0;
  }

  /**
   * A runner job's services (a container job's start in its executor's prepare): on their own network, each port
   * published on 127.0.0.1, each health check passed.
   */
  async startServices(): Promise<void> {
    if (this.executor || this.services.length === 0 || this.options.isDryRun) return;
    const containers = await this.sideJobContainers();
    for (const service of this.services) {
      this.options.onLine({ stream: "system", text: `Starting service container ${service.name}` });
      await containers.startService(service);
    }
  }

  /** The services and job container as started, for the `job` context and the job's log. */
  get started(): readonly StartedContainer[] {
    return (this.executor?.jobContainers ?? this.sideContainers)?.containers ?? [];
  }

  /** The PATH of the job container's processes, when this is a container job. */
  get containerPath(): string | undefined {
    return this.started.find((started) => started.name === jobContainerName && this.executor)?.env.PATH;
  }

  /** Docs "Contexts: job context": `job.container` and `job.services.<id>` with id, network and ports. */
  jobContext(): Record<string, ExpressionValue> {
    const network = (this.executor?.jobContainers ?? this.sideContainers)?.network.bridge ?? "";
    const context: Record<string, ExpressionValue> = {};
    const job = this.executor && this.started.find((started) => started.name === jobContainerName);
    if (job) context.container = { id: job.id, network };
    const services: Record<string, ExpressionValue> = {};
    for (const service of this.services) {
      const started = this.started.find((each) => each.name === service.name);
      if (!started) continue;
      const ports = Object.entries(started.ports).map(([inside, outside]) => [inside, String(outside)]);
      services[service.name] = { id: started.id, network, ports: Object.fromEntries(ports) };
    }
    if (this.services.length > 0) context.services = services;
    return context;
  }

  /**
   * Runs a Docker action's container to its exit, on the job's network: a container job's services answer by name.
   * `mounts` are the job's dirs at GitHub's paths; the container is removed afterwards.
   */
  async runToExit(
    definition: ContainerDefinition,
    mounts: BindMount[],
    exec: Omit<ContainerExecSpec, "user">,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    if (this.options.isDryRun) {
      onOutput(Buffer.from(`[dry run] ${definition.image.reference}: ${exec.args.join(" ")}\n`), "stdout");
      return { exitCode: 0, signal: null, timedOut: false, cancelled: false };
    }
    await this.noteUserNamespace();
    const containers = this.executor?.jobContainers ?? (await this.sideJobContainers());
    return containers.runToExit(`step-${++this.stepContainers}`, definition, mounts, exec, onOutput);
  }

  /** Each service's log as a group of lines, as GitHub keeps them with the job; call before the executor's cleanup. */
  async emitServiceLogs(onLine: (line: LogLine) => void): Promise<void> {
    const containers = this.executor?.jobContainers ?? this.sideContainers;
    if (!containers) return;
    for (const service of this.services) {
      const started = containers.containers.find((each) => each.name === service.name);
      if (!started) continue;
      const log = (await containers.readLog(started)).replace(/\n$/, "");
      onLine({ stream: "system", text: `Service container ${service.name} logs`, group: "start" });
      for (const text of log === "" ? [] : log.split("\n")) onLine({ stream: "stdout", text });
      onLine({ stream: "system", text: "", group: "end" });
    }
  }

  /** Tears down a runner job's containers and releases every image; the container executor cleans up its own. */
  async close(): Promise<void> {
    try {
      await this.sideContainers?.destroy();
    } finally {
      this.sideContainers = undefined;
      if (this.sideDir) await rm(this.sideDir, { recursive: true, force: true });
      await Promise.all(this.leases.splice(0).map((lease) => lease.release()));
    }
  }

  private async sideJobContainers(): Promise<JobContainers> {
    if (this.sideContainers) return this.sideContainers;
    const parent = path.join(this.options.baseDir, "services");
    await mkdir(parent, { recursive: true });
    this.sideDir = await mkdtemp(path.join(parent, "job-"));
    this.sideContainers = await JobContainers.create({ dir: this.sideDir, network: this.options.network });
    return this.sideContainers;
  }
}

/** A checked reference standing in for an image a dry run does not pull. */
function dryRunImage(reference: string, field: string, onLine: (line: LogLine) => void): UnpackedImage {
  parseImageReference(reference, field);
  onLine({ stream: "system", text: `[dry run] image ${reference}` });
  const config = { env: [], entrypoint: [], cmd: ["(the image's command)"], workingDir: "", user: "" };
  return { reference, digest: "", rootfs: "", config: { ...config, exposedPorts: [] } };
}

function definitionOf(spec: ContainerSpec): Omit<ContainerDefinition, "image"> {
  return { env: spec.env, ports: spec.ports, volumes: spec.volumes, options: spec.options };
}
