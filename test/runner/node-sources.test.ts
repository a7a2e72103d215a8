// Where Node comes from: real Node 18, 22 and 24 from the npm registry (through a caching loopback proxy), a
// nodejs.org/dist-shaped mirror on loopback, checksums refused when wrong, and the one-line failure.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  NpmRegistrySource,
  nodeSourcesFor,
  setUpNode,
  ToolCache,
  type ToolSourceSettings,
} from "../../src/runner/tools/index.js";
import { startNodeDistMirror, type NodeDistMirror } from "../support/node-dist-mirror.js";
import { startNpmRegistryCache, type NpmRegistryCache } from "../support/npm-registry-cache.js";

const run = promisify(execFile);
const arch = os.arch();
const dirs: string[] = [];
let registry: NpmRegistryCache;
let mirror: NodeDistMirror;

before(async () => {
  registry = await startNpmRegistryCache();
  mirror = await startNodeDistMirror([
    { version: "20.5.0", lts: "Iron" },
    { version: "22.3.0", lts: "Jod" },
    { version: "22.2.0", lts: "Jod" },
    { version: "23.1.0", lts: false },
  ]);
});
after(async () => {
  await registry.close();
  await mirror.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshCache(): Promise<ToolCache> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-node-sources-"));
  dirs.push(dir);
  return new ToolCache(dir);
}

function settings(order: ToolSourceSettings["order"]): ToolSourceSettings {
  return { order, nodeMirror: mirror.url, npmRegistry: registry.url };
}

describe("Node from a nodejs.org/dist-shaped mirror", () => {
  it("resolves an LTS codename from index.json, installs once, then answers from the cache", async () => {
    const cache = await freshCache();
    const sources = nodeSourcesFor(settings(["cache", "mirror"]));
    const first = await setUpNode({ spec: "lts/jod", arch, checkLatest: false }, cache, sources);
    assert.equal(first.installed.version, "22.3.0");
    assert.match(first.from ?? "", /mirror/);
    const { stdout } = await run(path.join(first.installed.dir, "bin", "node"), ["--version"]);
    assert.equal(stdout.trim(), "v22.3.0");
    const second = await setUpNode({ spec: "22", arch, checkLatest: false }, cache, sources);
    assert.equal(second.from, undefined);
    assert.equal(mirror.archiveRequests.get(`v22.3.0/node-v22.3.0-linux-${arch}.tar.gz`), 1);
    const latest = await setUpNode({ spec: "latest", arch, checkLatest: false }, cache, sources);
    assert.equal(latest.installed.version, "23.1.0");
    assert.equal(
      (await setUpNode({ spec: "lts/-1", arch, checkLatest: false }, cache, sources)).installed.version,
      "20.5.0",
    );
  });

  it("check-latest looks past a cached version that satisfies the spec", async () => {
    const cache = await freshCache();
    await cache.install("node", "22.2.0", arch, async () => undefined);
    const sources = nodeSourcesFor(settings(["cache", "mirror"]));
    assert.equal(
      (await setUpNode({ spec: "22", arch, checkLatest: false }, cache, sources)).installed.version,
      "22.2.0",
    );
    assert.equal(
      (await setUpNode({ spec: "22", arch, checkLatest: true }, cache, sources)).installed.version,
      "22.3.0",
    );
  });

  it("refuses an archive that does not match SHASUMS256.txt and installs nothing", async () => {
    const cache = await freshCache();
    mirror.corrupt("20.5.0");
    await assert.rejects(
      setUpNode(
        { spec: "20", arch, checkLatest: false },
        cache,
        nodeSourcesFor(settings(["cache", "mirror"])),
      ),
      (error: Error) => {
        assert.match(error.message, /has sha256 [0-9a-f]{64}, but its source published/);
        assert.match(error.message, /Add it with: hangar tools add node 20$/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
    assert.deepEqual(await cache.list(), []);
  });

  it("fails in one line naming what was asked, what exists and the command that adds it", async () => {
    const cache = await freshCache();
    await cache.install("node", "18.20.4", arch, async () => undefined);
    await assert.rejects(
      setUpNode(
        { spec: "21.x", arch, checkLatest: false },
        cache,
        nodeSourcesFor(settings(["cache", "mirror"])),
      ),
      new RegExp(
        `^ToolError: Node 21.x \\(${arch}\\) is not available: the tool cache has 18.20.4; the Node mirror .* has 23.1.0, 22.3.0, 22.2.0, 20.5.0. ` +
          "Add it with: hangar tools add node 21.x$",
      ),
    );
  });
});

describe("Node from the npm registry", () => {
  it("installs real Node 18, 22 and 24 with npm beside it, each once", { timeout: 600_000 }, async () => {
    const cache = await freshCache();
    const sources = nodeSourcesFor(settings(["cache", "npm"]));
    for (const major of ["18", "22", "24"]) {
      const { installed } = await setUpNode({ spec: major, arch, checkLatest: false }, cache, sources);
      assert.equal(installed.version.split(".")[0], major);
      const bin = path.join(installed.dir, "bin");
      const node = await run(path.join(bin, "node"), ["--version"]);
      assert.equal(node.stdout.trim(), `v${installed.version}`);
      const npm = await run(path.join(bin, "npm"), ["--version"], {
        env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env["PATH"]}` },
      });
      assert.match(npm.stdout.trim(), /^\d+\.\d+\.\d+$/);
      await setUpNode({ spec: major, arch, checkLatest: false }, cache, sources);
      assert.equal(registry.tarballRequests.get(`node-linux-${arch}-${installed.version}.tgz`), 1);
    }
  });

  it("knows LTS lines from the registry's node-releases package", async () => {
    const lines = await new NpmRegistrySource(() => Promise.resolve(registry.url)).ltsLines();
    for (const line of [
      { major: 20, codename: "Iron" },
      { major: 22, codename: "Jod" },
      { major: 24, codename: "Krypton" },
    ])
      assert.deepEqual(
        lines.find((each) => each.major === line.major),
        line,
      );
  });

  it("refuses a tarball whose dist.integrity does not match", async () => {
    const tarball = Buffer.from("not node");
    let base = "";
    const fake = http.createServer((request, response) => {
      if (request.url === `/node-linux-${arch}`) {
        response.end(
          JSON.stringify({
            versions: {
              "22.0.0": {
                version: "22.0.0",
                dist: { tarball: `${base}t.tgz`, integrity: `sha512-${Buffer.alloc(64).toString("base64")}` },
              },
            },
          }),
        );
      } else response.end(tarball);
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/`;
    try {
      const cache = await freshCache();
      await assert.rejects(
        setUpNode(
          { spec: "22", arch, checkLatest: false },
          cache,
          nodeSourcesFor({ order: ["cache", "npm"], nodeMirror: mirror.url, npmRegistry: base }),
        ),
        /has sha512 .* but its source published/,
      );
      assert.deepEqual(await readdir(path.join(cache.dir, "node", "22.0.0")), []);
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });
});
