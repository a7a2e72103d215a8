// The containers of one job (its job container and services) on one job network, and tearing all of them down.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ContainerError } from "../container-error.js";
import type { ExecResult } from "../../types.js";
import { Container, keepAliveArgs, type ContainerExecSpec } from "./container.js";
import {
  parseContainerOptions,
  parsePortMapping,
  parseVolume,
  type ContainerOptions,
  type PortMapping,
} from "./container-options.js";
import { Crun, detectCgroupLayout } from "./crun.js";
import { healthCheckFromImage, waitUntilHealthy, type ImageHealthCheck } from "./health-check.js";
import { buildEnvironment, toEnvList } from "./container-env.js";
import { requireStaticBusybox, requireTool, runTool } from "./host-tools.js";
import { isSameIdMap, type IdMap } from "./id-mapping.js";
import { resolveImageUser } from "./image-user.js";
import { JobNetwork } from "./job-network.js";
import type { BindMount, ResourceLimits } from "./oci-spec.js";
import { forwardPort, type PortForwarder } from "./port-forwarder.js";
import { detectUserNamespace } from "./user-namespace.js";

/** The job container's name and hostname: a dot can be in no service id, so no service takes it. */
export const jobContainerName = "job.container";

/** What the runtime needs of an image; the image store's UnpackedImage has this shape. */
export interface RuntimeImage {
  reference: string;
  rootfs: string;
  config: {
    env: string[];
    entrypoint: string[];
    cmd: string[];
    workingDir: string;
    user: string;
    healthcheck?: ImageHealthCheck;
  };
  /** The mapping the rootfs was unpacked shifted by; absent: the image's own ids. */
  idMap?: IdMap;
}

/** `jobs.<id>.container` and `services.<id>`: what the workflow says about one container. */
export interface ContainerDefinition {
  image: RuntimeImage;
  env?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  options?: string;
}

export interface ServiceDefinition extends ContainerDefinition {
  /** The service's key in `services:`: its host name on the job network. */
  name: string;
}

export interface StartedContainer {
  name: string;
  /** crun's id, also `job.services.<id>.id`. */
  id: string;
  ip: string;
  /** Container port → host port on 127.0.0.1, like `job.services.<id>.ports`. */
  ports: Record<string, number>;
  logFile: string;
  container: Container;
  /** The environment the container's processes start from (image env, then definition env, then options). */
  env: Record<string, string>;
}

export interface JobContainersOptions {
  /** Everything of this job's containers lives here: overlays, bundles, logs, named volumes. */
  dir: string;
  /** "none": containers reach only each other; no host link, nothing published. */
  network: "host" | "none";
  /** Applied to every container unless its options say otherwise. */
  limits?: ResourceLimits;
  /** Run containers in a user namespace; default: when the host allows it (detectUserNamespace). */
  userns?: boolean;
}

export class JobContainers {
  private readonly started: StartedContainer[] = [];
  private readonly forwarders: PortForwarder[] = [];
  private anonymousVolumes = 0;

  private constructor(
    readonly options: JobContainersOptions,
    private readonly crun: Crun,
    readonly network: JobNetwork,
    private readonly busybox: string,
    private readonly idPrefix: string,
    /** The user namespace's mapping every container gets; undefined: containers run as host root. */
    readonly idMap: IdMap | undefined,
  ) {}

  static async create(options: JobContainersOptions): Promise<JobContainers> {
    const busybox = requireStaticBusybox();
    const stateDir = join(options.dir, "crun");
    await mkdir(stateDir, { recursive: true });
    const idMap = options.userns === false ? undefined : await requireUserNamespace(options);
    const crun = new Crun(stateDir, await detectCgroupLayout());
    const network = await JobNetwork.create({
      dir: join(options.dir, "network"),
      hasHostLink: options.network === "host",
      containers: { crunStateDir: stateDir, dir: join(options.dir, "containers") },
    });
    const idPrefix = `hangar-${randomBytes(6).toString("hex")}`;
    return new JobContainers(options, crun, network, busybox, idPrefix, idMap);
  }

  get containers(): readonly StartedContainer[] {
    return this.started;
  }

  /**
   * Starts a service from its image's entrypoint and waits for its health check (`--health-cmd` or the image's
   * HEALTHCHECK); on failure the error carries the check's output and the service's log.
   */
  async startService(definition: ServiceDefinition): Promise<StartedContainer> {
    const options = parseContainerOptions(definition.options);
    const { config } = definition.image;
    const args =
      options.entrypoint !== undefined ? [options.entrypoint] : [...config.entrypoint, ...config.cmd];
    if (args.length === 0) {
      throw new ContainerError(
        "CONTAINER_BAD_OPTION",
        `service '${definition.name}': the image has no entrypoint or cmd`,
      );
    }
    const started = await this.startContainer(definition.name, definition, options, args);
    const check = options.healthCheck ?? healthCheckFromImage(config.healthcheck);
    if (check) await waitUntilHealthy({ ...started, env: toEnvList(started.env) }, check);
    return started;
  }

  /** The job container: our keep-alive as PID 1, each step exec'd into it; `extraMounts` are the job's dirs. */
  async startJobContainer(
    definition: ContainerDefinition,
    extraMounts: BindMount[],
  ): Promise<StartedContainer> {
    const options = parseContainerOptions(definition.options);
    if (options.entrypoint !== undefined) {
      throw new ContainerError("CONTAINER_BAD_OPTION", "--entrypoint is not supported for a job container");
    }
    return this.startContainer(jobContainerName, definition, options, keepAliveArgs, extraMounts);
  }

  /**
   * A Docker action's one-shot container: started on the job network as `name` (so services answer by their names),
   * `exec` run to its exit with output streamed, then removed whatever happened.
   */
  async runToExit(
    name: string,
    definition: ContainerDefinition,
    mounts: BindMount[],
    exec: Omit<ContainerExecSpec, "user">,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    const options = parseContainerOptions(definition.options);
    try {
      const started = await this.startContainer(name, definition, options, keepAliveArgs, mounts);
      return await started.container.exec(exec, onOutput);
    } finally {
      const index = this.started.findIndex((started) => started.name === name);
      if (index !== -1) await this.started.splice(index, 1)[0]!.container.remove();
    }
  }

  /** Stops every container, port forwarder and the network; collects failures and throws the first at the end. */
  async destroy(): Promise<void> {
    const failures: unknown[] = [];
    for (const forwarder of this.forwarders.splice(0)) await forwarder.close();
    for (const started of this.started.splice(0).reverse()) {
      await started.container.remove().catch((error: unknown) => failures.push(error));
    }
    await this.network.destroy().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  async readLog(started: StartedContainer): Promise<string> {
    return readFile(started.logFile, "utf8").catch(() => "");
  }

  private async startContainer(
    name: string,
    definition: ContainerDefinition,
    options: ContainerOptions,
    args: string[],
    extraMounts: BindMount[] = [],
  ): Promise<StartedContainer> {
    const { image } = definition;
    if (!isSameIdMap(image.idMap, this.idMap)) {
      throw new ContainerError(
        "CONTAINER_START_FAILED",
        `image ${image.reference} is unpacked ${describeIdMap(image.idMap)}, but its container would run ` +
          `${this.idMap ? "in a user namespace" : "without a user namespace"} (${describeIdMap(this.idMap)})`,
      );
    }
    const ports = (definition.ports ?? []).map((text) => parsePortMapping(text));
    if (ports.length > 0 && !this.network.gateway) {
      throw new ContainerError(
        "CONTAINER_BAD_OPTION",
        `'${name}' publishes ports, but the job's network is "none": nothing can be published on the host`,
      );
    }
    const mounts = [...(await this.volumeMounts(definition.volumes ?? [])), ...extraMounts];
    const user = await resolveImageUser(image.rootfs, options.user ?? image.config.user);
    const env = buildEnvironment(image.config.env, definition.env ?? {}, options.env);
    const ip = await this.network.reserve(name, options.networkAliases);
    const address = await this.network.attach(name);
    if (this.idMap) await allowUnprivilegedNetworking(address.namespacePath, this.busybox);
    const id = `${this.idPrefix}-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
    const container = new Container(this.crun, {
      id,
      hostname: name,
      dir: join(this.options.dir, "containers", id),
      lowerDir: image.rootfs,
      process: { args, env: toEnvList(env), cwd: options.workdir ?? (image.config.workingDir || "/"), user },
      mounts: [
        { source: this.network.hostsFile, destination: "/etc/hosts", readOnly: true, keepHostIds: true },
        {
          source: this.network.resolvConfFile,
          destination: "/etc/resolv.conf",
          readOnly: true,
          keepHostIds: true,
        },
        ...mounts,
      ],
      networkNamespace: address.namespacePath,
      limits: {
        ...this.options.limits,
        ...(options.memoryBytes !== undefined ? { memoryBytes: options.memoryBytes } : {}),
        ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
      },
      busybox: this.busybox,
      ...(this.idMap ? { idMap: this.idMap } : {}),
      isSeccompUnconfined: options.isSeccompUnconfined,
    });
    const started: StartedContainer = { name, id, ip, ports: {}, logFile: container.logFile, container, env };
    // Registered before start so destroy() removes whatever part of it came up.
    this.started.push(started);
    await container.start();
    await this.publish(started, ports);
    return started;
  }

  private async publish(started: StartedContainer, ports: PortMapping[]): Promise<void> {
    for (const port of ports) {
      const forwarder = await forwardPort(port.hostPort ?? 0, started.ip, port.containerPort);
      this.forwarders.push(forwarder);
      started.ports[String(port.containerPort)] = forwarder.hostPort;
    }
  }

  private async volumeMounts(volumes: string[]): Promise<BindMount[]> {
    const mounts: BindMount[] = [];
    for (const text of volumes) {
      const volume = parseVolume(text);
      let source: string;
      if (volume.source.kind === "host") source = volume.source.path;
      else {
        const name =
          volume.source.kind === "named" ? volume.source.name : `anonymous-${++this.anonymousVolumes}`;
        source = join(this.options.dir, "volumes", name);
        await mkdir(source, { recursive: true });
      }
      mounts.push({ source, destination: volume.destination, readOnly: volume.readOnly });
    }
    return mounts;
  }
}

/** The detected mapping; with `userns: true` a host without one is an error instead of a silent fallback. */
async function requireUserNamespace(options: JobContainersOptions): Promise<IdMap | undefined> {
  const support = await detectUserNamespace(options.dir);
  if (support.idMap) return support.idMap;
  if (options.userns) {
    throw new ContainerError(
      "CONTAINER_RUNTIME_UNAVAILABLE",
      `containers were asked to run in a user namespace, but: ${support.reason}`,
    );
  }
  return undefined;
}

/**
 * Docker's default sysctls for a container's own network namespace (moby daemon/oci_linux.go): ports below 1024 and
 * ping without admin rights. A user namespace's root has no rights over a namespace the host's `ip netns` made, so
 * without them a service could not listen on port 80.
 */
async function allowUnprivilegedNetworking(namespacePath: string, busybox: string): Promise<void> {
  const sysctls = ["net.ipv4.ip_unprivileged_port_start=0", "net.ipv4.ping_group_range=0 2147483647"];
  await runTool(
    requireTool("ip"),
    ["netns", "exec", basename(namespacePath), busybox, "sysctl", "-w", ...sysctls],
    "CONTAINER_NETWORK_FAILED",
  );
}

function describeIdMap(idMap: IdMap | undefined): string {
  return idMap ? `with ids shifted to host ${idMap.hostId}+ (${idMap.size})` : "with its own ids";
}
