// The shared tool cache: @actions/tool-cache's layout, semver lookups, installs that take turns and are never seen
// half written, removal and garbage collection.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ToolCache } from "../../src/runner/tools/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function freshCache(): Promise<ToolCache> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-tool-cache-"));
  dirs.push(dir);
  return new ToolCache(dir);
}

const writeVersion = (version: string) => (dir: string) => writeFile(path.join(dir, "version"), version);

describe("tool cache", () => {
  it("installs in @actions/tool-cache's layout: <tool>/<clean version>/<arch> beside <arch>.complete", async () => {
    const cache = await freshCache();
    const installed = await cache.install("node", "v22.1.0", "x64", writeVersion("22.1.0"));
    assert.equal(installed.dir, path.join(cache.dir, "node", "22.1.0", "x64"));
    assert.deepEqual((await readdir(path.join(cache.dir, "node", "22.1.0"))).sort(), ["x64", "x64.complete"]);
    assert.equal(await readFile(path.join(installed.dir, "version"), "utf8"), "22.1.0");
  });

  it("finds an exact version, or the highest complete install a semver range accepts, for the arch asked", async () => {
    const cache = await freshCache();
    for (const version of ["18.20.4", "22.1.0", "22.12.0", "24.0.1"])
      await cache.install("node", version, "x64", writeVersion(version));
    await cache.install("node", "22.13.0", "arm64", writeVersion("22.13.0"));
    assert.equal((await cache.find("node", "22", "x64"))?.version, "22.12.0");
    assert.equal((await cache.find("node", "22.x", "x64"))?.version, "22.12.0");
    assert.equal((await cache.find("node", ">=18 <22", "x64"))?.version, "18.20.4");
    assert.equal((await cache.find("node", "v22.1.0", "x64"))?.version, "22.1.0");
    assert.equal((await cache.find("node", "22", "arm64"))?.version, "22.13.0");
    assert.equal(await cache.find("node", "20", "x64"), undefined);
    assert.deepEqual(
      (await cache.list("node")).map((each) => `${each.version}/${each.arch}`),
      ["24.0.1/x64", "22.13.0/arm64", "22.12.0/x64", "22.1.0/x64", "18.20.4/x64"],
    );
  });

  it("never shows an install whose fill failed or that has no .complete marker", async () => {
    const cache = await freshCache();
    await assert.rejects(
      cache.install("node", "20.0.0", "x64", async (dir) => {
        await writeFile(path.join(dir, "half"), "x");
        throw new Error("network gone");
      }),
      /TOOL_INSTALL_FAILED|network gone/,
    );
    assert.equal(await cache.find("node", "20.0.0", "x64"), undefined);
    assert.deepEqual(await readdir(path.join(cache.dir, "node", "20.0.0")), []);
    // A crash after the rename but before the marker: the directory is there, the install is not.
    await mkdir(path.join(cache.dir, "node", "20.1.0", "x64"), { recursive: true });
    assert.equal(await cache.find("node", "20", "x64"), undefined);
    assert.deepEqual(await cache.list(), []);
  });

  it("lets concurrent installs of one version take turns: the second finds the first's install", async () => {
    const cache = await freshCache();
    let fills = 0;
    const slowFill = async (dir: string) => {
      fills++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writeFile(path.join(dir, "version"), "22.1.0");
    };
    const [first, second] = await Promise.all([
      cache.install("node", "22.1.0", "x64", slowFill),
      new ToolCache(cache.dir).install("node", "22.1.0", "x64", slowFill),
    ]);
    assert.equal(fills, 1);
    assert.equal(first.dir, second.dir);
  });

  it("takes turns across processes too", async () => {
    const cache = await freshCache();
    const log = path.join(cache.dir, "fills.log");
    const script = `
      import { appendFile, writeFile } from "node:fs/promises";
      import { ToolCache } from "${path.join(root, "src/runner/tools/index.ts")}";
      await new ToolCache(process.argv[1]).install("node", "22.1.0", "x64", async (dir) => {
        await appendFile(process.argv[2], "fill\\n");
        await new Promise((resolve) => setTimeout(resolve, 300));
        await writeFile(dir + "/version", "22.1.0");
      });`;
    const runOne = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--import",
            path.join(root, "scripts/register.mjs"),
            "--input-type=module",
            "-e",
            script,
            cache.dir,
            log,
          ],
          { stdio: "inherit" },
        );
        child.on("close", resolve);
      });
    assert.deepEqual(await Promise.all([runOne(), runOne(), runOne()]), [0, 0, 0]);
    assert.equal(await readFile(log, "utf8"), "fill\n");
    assert.equal((await cache.find("node", "22", "x64"))?.version, "22.1.0");
  });

  it("removes an install marker first, and gc clears crashed installs and, when asked, unused ones", async () => {
    const cache = await freshCache();
    await cache.install("node", "18.20.4", "x64", writeVersion("18.20.4"));
    await cache.install("node", "22.1.0", "x64", writeVersion("22.1.0"));
    await cache.install("node", "24.0.1", "x64", writeVersion("24.0.1"));
    assert.deepEqual(
      (await cache.remove("node", "v24.0.1")).map((each) => each.version),
      ["24.0.1"],
    );
    assert.equal(await cache.find("node", "24", "x64"), undefined);

    await mkdir(path.join(cache.dir, "node", "20.1.0", "x64"), { recursive: true });
    await mkdir(path.join(cache.dir, "node", "20.1.0", ".tmp-x64-0123456789ab"), { recursive: true });
    const old = new Date(Date.now() - 40 * 24 * 60 * 60_000);
    await utimes(path.join(cache.dir, "node", "18.20.4", "x64.complete"), old, old);
    const report = await cache.collectGarbage({ unusedForMs: 30 * 24 * 60 * 60_000 });
    assert.deepEqual(report.incomplete.map((dir) => path.relative(cache.dir, dir)).sort(), [
      "node/20.1.0/.tmp-x64-0123456789ab",
      "node/20.1.0/x64",
    ]);
    assert.deepEqual(
      report.unused.map((each) => each.version),
      ["18.20.4"],
    );
    assert.deepEqual(
      (await cache.list()).map((each) => each.version),
      ["22.1.0"],
    );
  });
});
