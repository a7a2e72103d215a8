// Writes the OCI runtime spec (config.json) for one container: Docker's defaults for capabilities, /dev, masked paths,
// a seccomp profile, and the user namespace that makes container root an unprivileged host uid.
import { buildSeccompProfile } from "./seccomp-profile.js";
import { mountIdMappings, ociIdMappings, type IdMap } from "./id-mapping.js";

export interface BindMount {
  source: string;
  destination: string;
  readOnly?: boolean;
  /**
   * In a user namespace, bind mounts are idmapped so container root owns what host root owns (the runner writes
   * job files as host root; steps write them back). True skips that: the container sees the host's owners, an
   * unmapped one as nobody. For the runtime's own read-only files (busybox, hosts), which no job should own.
   */
  keepHostIds?: boolean;
  /** The source's owner, for an idmapped mount (see mountIdMappings); root when absent. */
  sourceOwner?: { uid: number; gid: number };
}

export interface ProcessUser {
  uid: number;
  gid: number;
}

export interface ResourceLimits {
  memoryBytes?: number;
  /** Fraction of CPUs, e.g. 1.5. */
  cpus?: number;
  pids?: number;
}

export interface ContainerProcess {
  args: string[];
  /** NAME=VALUE, later entries win. */
  env: string[];
  cwd: string;
  user: ProcessUser;
}

export interface ContainerSpec {
  hostname: string;
  /** The mounted overlay: the image read-only below, the container's writes above. */
  rootfs: string;
  process: ContainerProcess;
  mounts: BindMount[];
  /** A namespace made by the job network (`ip netns`); none gives the container a loopback only. */
  networkNamespace?: string;
  cgroupsPath: string;
  limits: ResourceLimits;
  /** A user namespace mapping container ids to these host ids; the rootfs must be unpacked shifted to match. */
  idMap?: IdMap;
  /** `--security-opt seccomp=unconfined`: no seccomp profile. */
  isSeccompUnconfined?: boolean;
}

/** Docker's default capability set (moby oci/caps/defaults.go): no SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE. */
export const defaultCapabilities = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** moby oci/defaults.go: kernel interfaces a container must neither read nor write. */
const maskedPaths = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
const readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

const defaultPidsLimit = 4096;
const cpuPeriodMicroseconds = 100_000;

export function buildProcessSpec(process: ContainerProcess): Record<string, unknown> {
  return {
    terminal: false,
    user: { uid: process.user.uid, gid: process.user.gid },
    args: process.args,
    env: process.env,
    cwd: process.cwd,
    capabilities: Object.fromEntries(
      ["bounding", "effective", "permitted"].map((set) => [set, defaultCapabilities]),
    ),
    noNewPrivileges: true,
  };
}

export function buildOciSpec(spec: ContainerSpec): Record<string, unknown> {
  const namespaces: Array<{ type: string; path?: string }> = [
    { type: "pid" },
    { type: "ipc" },
    { type: "uts" },
    { type: "mount" },
    { type: "cgroup" },
    spec.networkNamespace ? { type: "network", path: spec.networkNamespace } : { type: "network" },
  ];
  const { idMap } = spec;
  if (idMap) namespaces.push({ type: "user" });
  return {
    ociVersion: "1.0.2",
    process: buildProcessSpec(spec.process),
    root: { path: spec.rootfs, readonly: false },
    hostname: spec.hostname,
    mounts: [...systemMounts(idMap), ...spec.mounts.map((mount) => bindMount(mount, idMap))],
    linux: {
      namespaces,
      ...(idMap ? { uidMappings: ociIdMappings(idMap), gidMappings: ociIdMappings(idMap) } : {}),
      cgroupsPath: spec.cgroupsPath,
      resources: buildResources(spec.limits),
      maskedPaths,
      readonlyPaths,
      ...(spec.isSeccompUnconfined ? {} : { seccomp: buildSeccompProfile() }),
    },
  };
}

function buildResources(limits: ResourceLimits): Record<string, unknown> {
  const resources: Record<string, unknown> = {
    devices: [{ allow: false, access: "rwm" }],
    pids: { limit: limits.pids ?? defaultPidsLimit },
  };
  if (limits.memoryBytes !== undefined) resources.memory = { limit: limits.memoryBytes };
  if (limits.cpus !== undefined) {
    resources.cpu = { quota: Math.round(limits.cpus * cpuPeriodMicroseconds), period: cpuPeriodMicroseconds };
  }
  return resources;
}

function bindMount(mount: BindMount, idMap: IdMap | undefined): Record<string, unknown> {
  const options = ["rbind", "rprivate", mount.readOnly ? "ro" : "rw"];
  const bind = { destination: mount.destination, type: "bind", source: mount.source, options };
  if (!idMap || mount.keepHostIds) return bind;
  // crun's "idmap" option (an idmapped mount, Linux 5.12+): host id N shows as container id N.
  return {
    ...bind,
    options: [...options, "idmap"],
    uidMappings: mountIdMappings(idMap, mount.sourceOwner?.uid ?? 0),
    gidMappings: mountIdMappings(idMap, mount.sourceOwner?.gid ?? 0),
  };
}

/**
 * Mounting sysfs takes admin rights over the network namespace's owner, and a job network's namespaces (`ip netns`)
 * belong to the host's user namespace: in a user namespace /sys is the host's, bound read-only without submounts
 * (crun would fall back to a read-write bind itself).
 */
const hostSysfsBind = {
  destination: "/sys",
  type: "bind",
  source: "/sys",
  options: ["bind", "nosuid", "noexec", "nodev", "ro"],
};

/** The mounts `docker run` gives every container (moby oci/defaults.go). */
function systemMounts(idMap: IdMap | undefined): Array<Record<string, unknown>> {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    idMap
      ? hostSysfsBind
      : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  ];
}
