// A loopback mirror shaped like nodejs.org/dist: index.json, vX.Y.Z/SHASUMS256.txt and Linux .tar.gz archives whose
// bin/node is a tiny shell script printing its version. Counts archive requests.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";

export interface MirrorRelease {
  version: string;
  lts: string | false;
}

export interface NodeDistMirror {
  /** The dist directory's URL (holding index.json). */
  url: string;
  archiveRequests: Map<string, number>;
  /** Makes the next archive downloads of `version` differ from what SHASUMS256.txt says. */
  corrupt(version: string): void;
  close(): Promise<void>;
}

export async function startNodeDistMirror(
  releases: MirrorRelease[],
  arch = os.arch(),
): Promise<NodeDistMirror> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-node-dist-"));
  for (const { version } of releases) {
    const name = `node-v${version}-linux-${arch}`;
    const bin = path.join(root, "build", name, "bin");
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, "node"), `#!/bin/sh\necho v${version}\n`);
    await chmod(path.join(bin, "node"), 0o755);
    await mkdir(path.join(root, `v${version}`), { recursive: true });
    const archive = path.join(root, `v${version}`, `${name}.tar.gz`);
    await tar.c({ gzip: true, file: archive, cwd: path.join(root, "build") }, [name]);
    const sum = createHash("sha256")
      .update(await readFile(archive))
      .digest("hex");
    await writeFile(
      path.join(root, `v${version}`, "SHASUMS256.txt"),
      `${"0".repeat(64)}  node-v${version}.tar.gz\n${sum}  ${name}.tar.gz\n`,
    );
  }
  const index = releases.map(({ version, lts }) => ({
    version: `v${version}`,
    files: [`linux-${arch}`, "src"],
    lts,
  }));
  await writeFile(path.join(root, "index.json"), JSON.stringify(index));
  const archiveRequests = new Map<string, number>();
  const corrupted = new Set<string>();
  const server = http.createServer((request, response) => {
    const relative = decodeURIComponent(new URL(request.url ?? "/", "http://mirror").pathname).replace(
      /^\/dist\//,
      "",
    );
    if (relative.includes("..")) {
      response.writeHead(400).end();
      return;
    }
    if (relative.endsWith(".tar.gz")) archiveRequests.set(relative, (archiveRequests.get(relative) ?? 0) + 1);
    readFile(path.join(root, relative)).then(
      (body) => {
        const isCorrupt = relative.endsWith(".tar.gz") && corrupted.has(relative.split("/")[0]!.slice(1));
        response.writeHead(200).end(isCorrupt ? Buffer.concat([body, Buffer.from("x")]) : body);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dist`,
    archiveRequests,
    corrupt: (version) => corrupted.add(version),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
