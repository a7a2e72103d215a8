// A loopback mirror shaped like a python-build-standalone release: SHA256SUMS and install_only archives whose
// python/ prefix holds a copy of a real interpreter from this host (it finds its standard library through its
// compiled-in prefix). Counts archive requests.
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { findHostPythons, type HostPython } from "./host-pythons.js";

export interface StandaloneMirror {
  url: string;
  /** The archive's file name for each version served. */
  files: Map<string, string>;
  archiveRequests: Map<string, number>;
  /** Makes the next downloads of `version`'s archive differ from what SHA256SUMS says. */
  corrupt(version: string): void;
  close(): Promise<void>;
}

const triples: Record<string, string> = {
  x64: "x86_64-unknown-linux-gnu",
  arm64: "aarch64-unknown-linux-gnu",
};

/**
 * `builds`: the interpreter to copy and the Python version (as Python spells it) it is served as; a free-threaded
 * build is served as `<triple>-freethreaded` with `pythonX.Yt`, and keyed `<version>t` in `files`.
 */
export async function startStandaloneMirror(
  builds: { executable: string; version: string; freethreaded?: boolean }[],
  arch = os.arch(),
): Promise<StandaloneMirror> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-python-mirror-"));
  const files = new Map<string, string>();
  const sums: string[] = [];
  for (const { executable, version, freethreaded } of builds) {
    const [major, minor] = version.split(".");
    const key = freethreaded ? `${version}t` : version;
    const prefix = path.join(root, "build", key, "python");
    const interpreter = `python${major}.${minor}${freethreaded ? "t" : ""}`;
    await mkdir(path.join(prefix, "bin"), { recursive: true });
    await mkdir(path.join(prefix, "lib", "pkgconfig"), { recursive: true });
    await copyFile(executable, path.join(prefix, "bin", interpreter));
    await symlink(interpreter, path.join(prefix, "bin", `python${major}`));
    const triple = `${triples[arch] ?? arch}${freethreaded ? "-freethreaded" : ""}`;
    const file = `cpython-${version}+20240726-${triple}-install_only.tar.gz`;
    await tar.c({ gzip: true, file: path.join(root, file), cwd: path.join(root, "build", key) }, ["python"]);
    sums.push(
      `${createHash("sha256")
        .update(await readFile(path.join(root, file)))
        .digest("hex")}  ${file}`,
    );
    // A build for another machine and a stripped variant, which the source must pass over.
    sums.push(`${"0".repeat(64)}  cpython-${version}+20240726-riscv64-unknown-linux-gnu-install_only.tar.gz`);
    sums.push(`${"1".repeat(64)}  cpython-${version}+20240726-${triples[arch]}-install_only_stripped.tar.gz`);
    files.set(key, file);
  }
  await writeFile(path.join(root, "SHA256SUMS"), `${sums.join("\n")}\n`);
  const archiveRequests = new Map<string, number>();
  const corrupted = new Set<string>();
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? "/", "http://mirror").pathname).replace(
      /^\/+/,
      "",
    );
    if (name.includes("/")) {
      response.writeHead(404).end();
      return;
    }
    if (name.endsWith(".tar.gz")) archiveRequests.set(name, (archiveRequests.get(name) ?? 0) + 1);
    readFile(path.join(root, name)).then(
      (body) => {
        const isCorrupt = name.endsWith(".tar.gz") && corrupted.has(name);
        response.writeHead(200).end(isCorrupt ? Buffer.concat([body, Buffer.from("x")]) : body);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    files,
    archiveRequests,
    corrupt: (version) => corrupted.add(files.get(version) ?? version),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** This host's CPythons, and a mirror serving a copy of one: a system one where there is one (CI has only /usr/bin's). */
export async function startHostPythonMirror(): Promise<{
  pythons: HostPython[];
  served: HostPython;
  mirror: StandaloneMirror;
}> {
  const pythons = await findHostPythons();
  const served = pythons.find((each) => each.executable.startsWith("/usr/")) ?? pythons[0];
  if (!served) throw new Error("this host has no CPython in pyenv, /usr/bin or /usr/local/bin");
  return { pythons, served, mirror: await startStandaloneMirror([served]) };
}
