// Test images for the container runtime: a busybox-static rootfs and one with the host's bash and its libraries.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { RuntimeImage } from "../../src/runner/index.js";

/** Built once per content (cached under the OS temp dir) and never written by tests: jobs get an overlay. */
export async function busyboxImage(): Promise<RuntimeImage> {
  const busybox = realpathSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim());
  const rootfs = await cachedRootfs(`busybox-${hashFile(busybox)}`, async (dir) => {
    await addBusybox(dir, busybox);
  });
  return image("test/busybox", rootfs);
}

/** busybox plus the host's bash with the libraries ldd names, so `bash` exists in the image. */
export async function bashImage(): Promise<RuntimeImage> {
  const busybox = realpathSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim());
  const bash = realpathSync("/bin/bash");
  const rootfs = await cachedRootfs(`bash-${hashFile(busybox)}-${hashFile(bash)}`, async (dir) => {
    await addBusybox(dir, busybox);
    await mkdir(join(dir, "usr/bin"), { recursive: true });
    await copyFile(bash, join(dir, "usr/bin/bash"));
    const libraries = execFileSync("ldd", [bash], { encoding: "utf8" }).matchAll(/(\/\S+) \(0x/g);
    for (const [, library] of libraries) {
      await mkdir(join(dir, dirname(library)), { recursive: true });
      await copyFile(realpathSync(library), join(dir, library));
    }
  });
  return image("test/bash", rootfs);
}

function image(reference: string, rootfs: string): RuntimeImage {
  return {
    reference,
    rootfs,
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

async function cachedRootfs(key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(tmpdir(), "hangar-test-rootfs", key);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await build(partial);
  await rename(partial, dir).catch(async () => rm(partial, { recursive: true, force: true }));
  return dir;
}

function hashFile(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
}
