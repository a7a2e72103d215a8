// Test images for the container runtime: a busybox-static rootfs and one with the host's bash and its libraries,
// owned by the host ids containers map root to (as the image store unpacks them) unless a test asks for own ids.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { RuntimeImage } from "../../src/runner/index.js";
import type { IdMap } from "../../src/runner/containers/runtime/id-mapping.js";
import { detectUserNamespace } from "../../src/runner/containers/runtime/user-namespace.js";

/** idMap: the rootfs's owners; default the mapping containers get on this host, null the image's own ids. */
interface TestImageOptions {
  idMap?: IdMap | null;
}

/** Built once per content (cached under the OS temp dir) and never written by tests: jobs get an overlay. */
export async function busyboxImage(options: TestImageOptions = {}): Promise<RuntimeImage> {
  const busybox = realpathSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim());
  const idMap = await chosenIdMap(options);
  const rootfs = await cachedRootfs(`busybox-${hashFile(busybox)}`, idMap, async (dir) => {
    await addBusybox(dir, busybox);
  });
  return image("test/busybox", rootfs, idMap);
}

/** busybox plus the host's bash with the libraries ldd names, so `bash` exists in the image. */
export async function bashImage(options: TestImageOptions = {}): Promise<RuntimeImage> {
  const busybox = realpathSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim());
  const bash = realpathSync("/bin/bash");
  const idMap = await chosenIdMap(options);
  const rootfs = await cachedRootfs(`bash-${hashFile(busybox)}-${hashFile(bash)}`, idMap, async (dir) => {
    await addBusybox(dir, busybox);
    await mkdir(join(dir, "usr/bin"), { recursive: true });
    await copyFile(bash, join(dir, "usr/bin/bash"));
    const libraries = execFileSync("ldd", [bash], { encoding: "utf8" }).matchAll(/(\/\S+) \(0x/g);
    for (const [, library] of libraries) {
      await mkdir(join(dir, dirname(library)), { recursive: true });
      await copyFile(realpathSync(library), join(dir, library));
    }
  });
  return image("test/bash", rootfs, idMap);
}

async function chosenIdMap(options: TestImageOptions): Promise<IdMap | null> {
  return options.idMap !== undefined ? options.idMap : (await detectUserNamespace(tmpdir())).idMap;
}

function image(reference: string, rootfs: string, idMap: IdMap | null): RuntimeImage {
  return {
    reference,
    rootfs,
    ...(idMap ? { idMap } : {}),
    config: {
      env: ["PATH=/usr/bin:/bin", "IMAGE_VAR=from-image"],
      entrypoint: [],
      cmd: ["sh"],
      workingDir: "/",
      user: "",
    },
  };
}

async function addBusybox(dir: string, busybox: string): Promise<void> {
  for (const sub of ["bin", "etc", "tmp", "proc", "sys", "dev"])
    await mkdir(join(dir, sub), { recursive: true });
  await copyFile(busybox, join(dir, "bin/busybox"));
  await chmod(join(dir, "bin/busybox"), 0o755);
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) if (applet !== "busybox") await symlink("busybox", join(dir, "bin", applet));
  await writeFile(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  await writeFile(join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
}

async function cachedRootfs(
  key: string,
  idMap: IdMap | null,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = join(tmpdir(), "hangar-test-rootfs", idMap ? `${key}-shifted-${idMap.hostId}` : key);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await build(partial);
  // Every file is root's here, so shifting is one chown to the mapping's root (links themselves, not targets).
  if (idMap) execFileSync("chown", ["-R", "-h", `${idMap.hostId}:${idMap.hostId}`, partial]);
  await rename(partial, dir).catch(async () => rm(partial, { recursive: true, force: true }));
  return dir;
}

function hashFile(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
}
