// `hangar vm build`: a microVM guest (kernel + initramfs) made from Debian packages and the guest agent; owns the image dir layout.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
  copyFile,
} from "node:fs/promises";
import { join, posix } from "node:path";
import { packageFile } from "../../../package-files.js";
import { RunnerError } from "../../runner-error.js";
import { agentProtocolVersion } from "./agent-protocol.js";
import { downloadPackages, resolvePackages, runHostTool, type DebianPackage } from "./debian-packages.js";
import { packInitramfs } from "./newc-archive.js";

/** The guest's userland: a shell for `run:` steps (bash), coreutils, and busybox for /init and the missing tools. */
export const baseGuestPackages = ["busybox-static", "bash", "coreutils"];
export const defaultKernelPackage = "linux-image-amd64";

/** The kernel modules the guest needs (virtio transport, console port, 9p share, NIC); their deps come from modinfo. */
const wantedModules = ["virtio_mmio", "virtio_console", "9pnet_virtio", "9p", "virtio_net"];
const usrMergedDirs = ["bin", "sbin", "lib", "lib64"];
const droppedDirs = [
  "usr/share/doc",
  "usr/share/man",
  "usr/share/info",
  "usr/share/locale",
  "usr/share/lintian",
];

export interface GuestImageOptions {
  outDir: string;
  /** Extra Debian packages, e.g. nodejs for JavaScript actions, git. */
  packages?: string[];
  kernelPackage?: string;
  onProgress?: (message: string) => void;
}

export interface GuestImageManifest {
  kernelVersion: string;
  kernelPackage: { name: string; version: string };
  packages: { name: string; version: string }[];
  unresolvedDependencies: string[];
  modules: string[];
  agentProtocolVersion: number;
  files: Record<"vmlinuz" | "initramfs.cpio.gz", { sha256: string; bytes: number }>;
  hasNode: boolean;
  /** Every executable in the guest's bin directories (as /usr/bin/..., the guest is usr-merged), to pick shells. */
  executables: string[];
  builtAt: string;
}

export interface GuestImage {
  dir: string;
  kernel: string;
  initramfs: string;
  manifest: GuestImageManifest;
}

export async function buildGuestImage(options: GuestImageOptions): Promise<GuestImage> {
  const progress = options.onProgress ?? (() => undefined);
  const debCache = join(options.outDir, "debs");
  await mkdir(debCache, { recursive: true });
  const work = await mkdtemp(join(options.outDir, "build-"));
  try {
    progress("resolving Debian packages");
    const kernelPackage = await resolveKernelPackage(options.kernelPackage ?? defaultKernelPackage);
    const { packages, unresolved } = await resolvePackages([
      ...baseGuestPackages,
      ...(options.packages ?? []),
    ]);
    progress(`downloading ${packages.length + 1} packages (cached in ${debCache})`);
    const [kernelDeb] = await downloadPackages([kernelPackage], debCache);
    const debs = await downloadPackages(packages, debCache);

    const root = join(work, "root");
    await mkdir(join(root, "usr"), { recursive: true });
    // Debian 12 is usr-merged: /bin/bash and /usr/bin/bash must both exist, as on the host that resolved the shell.
    for (const dir of usrMergedDirs) {
      await mkdir(join(root, "usr", dir), { recursive: true });
      await symlink(`usr/${dir}`, join(root, dir));
    }
    progress("extracting packages");
    for (const deb of debs) await extractDeb(deb, root);
    for (const dir of droppedDirs) await rm(join(root, dir), { recursive: true, force: true });

    const kernelRoot = join(work, "kernel");
    await mkdir(kernelRoot);
    await runHostTool("dpkg-deb", ["-x", kernelDeb as string, kernelRoot], "dpkg");
    const kernelVersion = (await readdir(join(kernelRoot, "lib/modules")))[0];
    if (!kernelVersion)
      throw new RunnerError("RUNNER_VM_IMAGE_FAILED", `${kernelPackage.name} holds no modules`);
    const modules = await copyModules(
      join(kernelRoot, "lib/modules", kernelVersion),
      join(root, "lib/hangar-modules"),
    );

    progress("compiling the guest agent");
    await runHostTool(
      "gcc",
      ["-static", "-O2", "-o", join(root, "usr/sbin/hangar-agent"), guestAgentSource()],
      "gcc libc6-dev",
    );
    await addBusyboxApplets(root);
    await writeGuestFiles(root, modules);

    progress("packing the initramfs");
    const initramfs = await packInitramfs(root);
    await writeFile(join(options.outDir, "initramfs.cpio.gz"), initramfs);
    await copyFile(join(kernelRoot, "boot", `vmlinuz-${kernelVersion}`), join(options.outDir, "vmlinuz"));
    const manifest: GuestImageManifest = {
      kernelVersion,
      kernelPackage: { name: kernelPackage.name, version: kernelPackage.version },
      packages: packages.map((pkg) => ({ name: pkg.name, version: pkg.version })),
      unresolvedDependencies: unresolved,
      modules,
      agentProtocolVersion,
      files: {
        vmlinuz: await describeFile(join(options.outDir, "vmlinuz")),
        "initramfs.cpio.gz": await describeFile(join(options.outDir, "initramfs.cpio.gz")),
      },
      hasNode: packages.some((pkg) => pkg.name === "nodejs"),
      executables: await listExecutables(root),
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(options.outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    return imageAt(options.outDir, manifest);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Reads an image made by buildGuestImage; a missing or older image is a clear error, never a boot that hangs. */
export async function readGuestImage(dir: string): Promise<GuestImage> {
  let manifest: GuestImageManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as GuestImageManifest;
  } catch (error) {
    throw new RunnerError(
      "RUNNER_VM_IMAGE_FAILED",
      `no guest image in ${dir}: run 'hangar vm build --out ${dir}'`,
      {
        cause: error,
      },
    );
  }
  if (manifest.agentProtocolVersion !== agentProtocolVersion) {
    throw new RunnerError(
      "RUNNER_VM_IMAGE_FAILED",
      `the guest image in ${dir} speaks agent protocol ${manifest.agentProtocolVersion}, this hangar ${agentProtocolVersion}: run 'hangar vm build --out ${dir}' again`,
    );
  }
  return imageAt(dir, manifest);
}

const binDirs = ["usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin"];

async function listExecutables(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of binDirs) {
    for (const name of await readdir(join(root, dir)).catch(() => [] as string[])) {
      const info = await lstat(join(root, dir, name));
      if (info.isSymbolicLink() || (info.isFile() && (info.mode & 0o111) !== 0))
        found.push(`/${dir}/${name}`);
    }
  }
  return found.sort();
}

/** Where the job's processes in a guest of this image would find `command` on `pathVariable`. */
export function findGuestExecutable(
  manifest: GuestImageManifest,
  command: string,
  pathVariable: string | undefined,
): string | undefined {
  const executables = new Set(manifest.executables);
  const usrMerged = (file: string) => file.replace(/^\/(s?bin)\//, "/usr/$1/");
  if (command.includes("/"))
    return executables.has(usrMerged(posix.normalize(command))) ? command : undefined;
  for (const dir of (pathVariable ?? "").split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = posix.join(dir, command);
    if (executables.has(usrMerged(candidate))) return candidate;
  }
  return undefined;
}

function imageAt(dir: string, manifest: GuestImageManifest): GuestImage {
  return { dir, kernel: join(dir, "vmlinuz"), initramfs: join(dir, "initramfs.cpio.gz"), manifest };
}

/** A meta package (linux-image-amd64) names the current versioned kernel package in its Depends. */
async function resolveKernelPackage(name: string): Promise<DebianPackage> {
  const { packages } = await resolvePackages([name]);
  const named = packages.find((pkg) => pkg.name === name) as DebianPackage;
  const versioned = named.depends.flat().find((dep) => /^linux-image-\d/.test(dep));
  if (!versioned) return named;
  const resolved = packages.find((pkg) => pkg.name === versioned);
  if (!resolved)
    throw new RunnerError("RUNNER_VM_IMAGE_FAILED", `cannot resolve ${versioned} (from ${name})`);
  return resolved;
}

/** The agent's C source, shipped in the package beside the bundle. */
function guestAgentSource(): string {
  const source = packageFile("src/runner/executors/microvm/guest-agent.c");
  if (!existsSync(source))
    throw new RunnerError("RUNNER_VM_IMAGE_FAILED", `guest-agent.c not found at ${source}`);
  return source;
}

async function extractDeb(deb: string, root: string): Promise<void> {
  // --keep-directory-symlink keeps /bin → usr/bin when a package ships files under /bin.
  await runHostTool(
    "bash",
    [
      "-c",
      'set -o pipefail; dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"',
      "bash",
      deb,
      root,
    ],
    "dpkg tar",
  );
}

/** Reads a module's `depends=` from its .modinfo section; no depmod needed on the host. */
function moduleDependencies(contents: Buffer): string[] {
  const marker = Buffer.from("\0depends=");
  const at = contents.indexOf(marker);
  if (at < 0) return [];
  const end = contents.indexOf(0, at + marker.length);
  return contents
    .subarray(at + marker.length, end)
    .toString("ascii")
    .split(",")
    .filter((name) => name !== "");
}

async function findModuleFiles(dir: string, found = new Map<string, string>()): Promise<Map<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await findModuleFiles(path, found);
    else if (entry.name.endsWith(".ko")) found.set(entry.name.slice(0, -3).replaceAll("-", "_"), path);
  }
  return found;
}

/** Copies the wanted modules and what they depend on; returns their names in load order (dependencies first). */
async function copyModules(modulesDir: string, targetDir: string): Promise<string[]> {
  const files = await findModuleFiles(join(modulesDir, "kernel"));
  const builtIn = (await readFile(join(modulesDir, "modules.builtin"), "utf8").catch(() => ""))
    .split("\n")
    .map((line) => line.split("/").pop()?.replace(/\.ko$/, "").replaceAll("-", "_") ?? "");
  const order: string[] = [];
  const visit = async (name: string): Promise<void> => {
    if (order.includes(name) || builtIn.includes(name)) return;
    const path = files.get(name);
    if (!path) {
      throw new RunnerError(
        "RUNNER_VM_IMAGE_FAILED",
        `kernel module ${name} is missing (compressed modules are not supported; use a Debian 12 kernel)`,
      );
    }
    const contents = await readFile(path);
    for (const dependency of moduleDependencies(contents)) await visit(dependency.replaceAll("-", "_"));
    await mkdir(targetDir, { recursive: true });
    await writeFile(join(targetDir, `${name}.ko`), contents);
    order.push(name);
  };
  for (const name of wantedModules) await visit(name);
  return order;
}

/** Links busybox applets the packages did not provide (mount, ip, ps, sh ...), never over a Debian binary. */
async function addBusyboxApplets(root: string): Promise<void> {
  const applets = (await runHostTool(join(root, "usr/bin/busybox"), ["--list"], "busybox-static"))
    .split("\n")
    .filter((name) => /^[a-z0-9_.[-]+$/.test(name));
  const present = new Set([
    ...(await readdir(join(root, "usr/bin"))),
    ...(await readdir(join(root, "usr/sbin"))),
  ]);
  for (const applet of applets) {
    if (!present.has(applet)) await symlink("busybox", join(root, "usr/bin", applet));
  }
}

async function writeGuestFiles(root: string, modules: string[]): Promise<void> {
  for (const dir of ["proc", "sys", "dev", "tmp", "run", "root", "etc", "var/tmp"]) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await writeFile(
    join(root, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\n",
  );
  await writeFile(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  await writeFile(join(root, "etc/hosts"), "127.0.0.1 localhost hangar-guest\n");
  // QEMU user networking's DNS forwarder; used only when the job's network is "host".
  await writeFile(join(root, "etc/resolv.conf"), "nameserver 10.0.2.3\n");
  const insmods = modules.map((name) =>
    name === "virtio_mmio"
      ? `insmod /lib/hangar-modules/virtio_mmio.ko $mmio_devices`
      : `insmod /lib/hangar-modules/${name}.ko`,
  );
  const init = `#!/bin/sh
# Guest PID 1 until the agent replaces it: mounts, kernel modules, network, then the agent.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# insmod, unlike modprobe, does not read module options from the kernel command line.
mmio_devices=""
for word in $(cat /proc/cmdline); do
  case "$word" in virtio_mmio.device=*) mmio_devices="$mmio_devices \${word#virtio_mmio.}" ;; esac
done
${insmods.join("\n")}
hostname hangar-guest
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
fi
cd /
exec /usr/sbin/hangar-agent
`;
  await writeFile(join(root, "init"), init);
  await chmod(join(root, "init"), 0o755);
}

async function describeFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const contents = await readFile(path);
  return { sha256: createHash("sha256").update(contents).digest("hex"), bytes: (await stat(path)).size };
}
