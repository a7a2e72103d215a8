// Whether containers on this host run in a user namespace: decided once per process by starting one tiny container
// the way real ones start (user namespace, idmapped bind mount). The image store and the runtime both ask here, so
// images are unpacked shifted exactly when containers will map them.
import { randomBytes } from "node:crypto";
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ContainerError } from "../container-error.js";
import { containerBusybox } from "./container.js";
import { Crun, detectCgroupLayout } from "./crun.js";
import { requireStaticBusybox } from "./host-tools.js";
import { containerIdMap, type IdMap } from "./id-mapping.js";
import { buildOciSpec } from "./oci-spec.js";
import { makeRootMountPoint } from "./overlay.js";

export type UserNamespaceSupport = { idMap: IdMap } | { idMap: null; reason: string };

let detected: Promise<UserNamespaceSupport> | undefined;

/**
 * The mapping containers use, or null with the reason they run as host root. Idmapped mounts depend on the
 * filesystem, so the probe mounts a directory it makes below `scratchDir`: pass one beside the job dirs (the data
 * dir). Only the first call of a process probes; later ones get its answer whatever they pass.
 */
export function detectUserNamespace(scratchDir: string): Promise<UserNamespaceSupport> {
  detected ??= probeUserNamespace(scratchDir);
  return detected;
}

/** The job log's notice when containers run without a user namespace; undefined when they have one. */
export function userNamespaceNotice(support: UserNamespaceSupport): string | undefined {
  if (support.idMap) return undefined;
  return `Containers run without a user namespace (container root is host root): ${support.reason}`;
}

async function probeUserNamespace(scratchDir: string): Promise<UserNamespaceSupport> {
  if (process.getuid?.() !== 0) return { idMap: null, reason: "the runner does not run as root" };
  const limit = await readFile("/proc/sys/user/max_user_namespaces", "utf8").catch(() => "");
  if (!(Number(limit.trim()) > 0)) {
    return { idMap: null, reason: `/proc/sys/user/max_user_namespaces is ${limit.trim() || "unreadable"}` };
  }
  try {
    await runProbeContainer(scratchDir);
    return { idMap: containerIdMap };
  } catch (error) {
    return { idMap: null, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Container root stats a host-root directory through an idmapped bind mount: it must see itself as the owner. */
async function runProbeContainer(scratchDir: string): Promise<void> {
  const id = `hangar-userns-probe-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(scratchDir, { recursive: true });
  const work = await mkdtemp(join(scratchDir, "userns-probe-"));
  const rootfs = await makeRootMountPoint(id);
  let crun: Crun | undefined;
  try {
    // An empty root owned by container root, so crun can make the mount points in it.
    await chown(rootfs, containerIdMap.hostId, containerIdMap.hostId);
    const shared = join(work, "shared");
    const bundle = join(work, "bundle");
    const stateDir = join(work, "crun");
    for (const dir of [shared, bundle, stateDir]) await mkdir(dir);
    const spec = buildOciSpec({
      hostname: "userns-probe",
      rootfs,
      process: {
        args: [containerBusybox, "stat", "-c", "%u:%g", "/probe"],
        env: [],
        cwd: "/",
        user: { uid: 0, gid: 0 },
      },
      mounts: [
        { source: requireStaticBusybox(), destination: containerBusybox, readOnly: true, keepHostIds: true },
        { source: shared, destination: "/probe", readOnly: true },
      ],
      cgroupsPath: `/hangar/${id}`,
      limits: {},
      idMap: containerIdMap,
    });
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
    crun = new Crun(stateDir, await detectCgroupLayout());
    const { stdout } = await crun.run(["run", "--bundle", bundle, id], "CONTAINER_RUNTIME_UNAVAILABLE");
    if (stdout.trim() !== "0:0") {
      throw new ContainerError(
        "CONTAINER_RUNTIME_UNAVAILABLE",
        `an idmapped mount of ${scratchDir} showed its owner as ${stdout.trim() || "nothing"} instead of 0:0`,
      );
    }
  } finally {
    await crun?.remove(id);
    await rm(work, { recursive: true, force: true });
    // Nothing is mounted there: crun mounted inside the probe's own mount namespace, gone with it.
    await rm(rootfs, { recursive: true, force: true });
  }
}
