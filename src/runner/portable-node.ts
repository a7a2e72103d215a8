// The runner's node for JavaScript actions in job containers and microVMs: a copy of the binary with its shared
// libraries beside it, patched to load them from where the job sees them, so it runs on any image or guest (musl,
// busybox, old glibc) without the job's own node.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { findTool, runTool } from "./containers/runtime/host-tools.js";

/** Where GitHub's runner mounts its node in a job container (its "externals" dir); microVMs mount it there too. */
export const portableNodeDir = "/__e/node20";
export const portableNodePath = `${portableNodeDir}/bin/node`;

/** The runner's node as a job container or microVM can run it, or why it cannot. */
export type PortableNode = { hostDir: string } | { unavailable: string };

const prepared = new Map<string, Promise<PortableNode>>();

/**
 * Makes (once per node binary, under storeDir/node/) bin/node with its interpreter and rpath pointing into
 * portableNodeDir/lib, and lib/ holding every library `ldd` names. Safe against other runner processes doing the
 * same: the copy is built aside and renamed into place.
 */
export function preparePortableNode(storeDir: string): Promise<PortableNode> {
  let pending = prepared.get(storeDir);
  if (!pending) {
    pending = buildPortableNode(storeDir).catch((error: unknown) => ({
      unavailable: `the runner's node could not be prepared for isolated jobs: ${(error as Error).message}`,
    }));
    prepared.set(storeDir, pending);
  }
  return pending;
}

async function buildPortableNode(storeDir: string): Promise<PortableNode> {
  const patchelf = findTool("patchelf");
  if (!patchelf) {
    return {
      unavailable:
        "JavaScript actions in job containers and microVMs need 'patchelf' on the runner host; install the Debian package patchelf",
    };
  }
  const node = await realpath(process.execPath);
  const info = await stat(node);
  const key = createHash("sha256")
    .update(`${node}\n${info.size}\n${info.mtimeMs}\n${process.version}`)
    .digest("hex")
    .slice(0, 16);
  const hostDir = path.join(storeDir, "node", key);
  if (existsSync(path.join(hostDir, "bin", "node"))) return { hostDir };

  const staging = `${hostDir}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(path.join(staging, "bin"), { recursive: true });
    await mkdir(path.join(staging, "lib"));
    const libraries = await sharedLibraries(node);
    const loader = libraries.find((library) => library.isLoader);
    if (!loader)
      return { unavailable: `${node} names no dynamic loader; cannot run it in a container or microVM` };
    for (const library of libraries) {
      await copyFile(await realpath(library.path), path.join(staging, "lib", library.name));
    }
    const stagedNode = path.join(staging, "bin", "node");
    await copyFile(node, stagedNode);
    // DT_RPATH, unlike DT_RUNPATH, also applies to the libraries' own dependencies (libstdc++ → libm, libc).
    await runTool(
      patchelf,
      [
        "--set-interpreter",
        `${portableNodeDir}/lib/${loader.name}`,
        "--force-rpath",
        "--set-rpath",
        `${portableNodeDir}/lib`,
        stagedNode,
      ],
      "CONTAINER_START_FAILED",
    );
    // The patched binary cannot run on the host (its loader path is the job's); its loader can run it.
    await runTool(
      path.join(staging, "lib", loader.name),
      ["--library-path", path.join(staging, "lib"), stagedNode, "--version"],
      "CONTAINER_START_FAILED",
    );
    await rename(staging, hostDir).catch((error: NodeJS.ErrnoException) => {
      // Another runner process finished first; its copy is as good as ours.
      if (!existsSync(path.join(hostDir, "bin", "node"))) throw error;
    });
    return { hostDir };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

interface SharedLibrary {
  /** The file name the library is loaded by (its soname, or the loader's own name). */
  name: string;
  path: string;
  isLoader: boolean;
}

/** `ldd`'s list: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", and the loader as a bare path. */
async function sharedLibraries(binary: string): Promise<SharedLibrary[]> {
  const ldd = findTool("ldd");
  if (!ldd) throw new Error("'ldd' was not found on PATH; install the Debian package libc-bin");
  const { stdout } = await runTool(ldd, [binary], "CONTAINER_START_FAILED");
  const libraries: SharedLibrary[] = [];
  for (const line of stdout.split("\n")) {
    const linked = /^\s*(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (linked) {
      libraries.push({ name: linked[1], path: linked[2], isLoader: false });
      continue;
    }
    const loader = /^\s*(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (loader) libraries.push({ name: path.basename(loader[1]), path: loader[1], isLoader: true });
    else if (/=> not found/.test(line))
      throw new Error(`${binary} needs a library the host lacks: ${line.trim()}`);
  }
  return libraries;
}
