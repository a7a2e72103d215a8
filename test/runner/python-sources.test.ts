// Where Python comes from: the host's interpreters (a fake pyenv root of links to this host's real ones) linked
// into the cache, a python-build-standalone-shaped mirror on loopback serving a copy of a real interpreter, its
// checksums refused when wrong, one download for concurrent installs, and the one-line failure.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  HostPythonSource,
  StandaloneMirrorSource,
  ToolCache,
  hostLinkMarker,
  parsePythonSpec,
  setUpPython,
  type PythonSources,
} from "../../src/runner/tools/index.js";
import type { HostPython } from "../support/host-pythons.js";
import {
  startHostPythonMirror,
  startStandaloneMirror,
  type StandaloneMirror,
} from "../support/python-standalone-mirror.js";

const run = promisify(execFile);
const arch = os.arch();
const dirs: string[] = [];
let pythons: HostPython[];
let mirror: StandaloneMirror;
/** The interpreter the mirror serves. */
let served: HostPython;

before(async () => ({ pythons, served, mirror } = await startHostPythonMirror()));
after(async () => {
  await mirror.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function versionOf(python: string): Promise<string> {
  // Python 2 prints its version on stderr.
  const { stdout, stderr } = await run(python, ["--version"]);
  return (stdout || stderr).trim();
}

const spec = (given: string) => parsePythonSpec(given, false);

describe("Pythons on the host, linked into the cache", () => {
  it("finds interpreters by running them (not by their folder's name), skips virtualenvs, and links them", async () => {
    const root = await tempDir("hangar-fake-pyenv-");
    const system = path.join(root, "usr-bin");
    await mkdir(system);
    // Each pyenv "version" is a folder whose bin/python3 links to one of this host's interpreters.
    const linked = pythons.slice(0, 3);
    for (const [index, python] of linked.entries()) {
      await mkdir(path.join(root, "versions", `mine-${index}`, "bin"), { recursive: true });
      await symlink(python.executable, path.join(root, "versions", `mine-${index}`, "bin", "python3"));
    }
    await mkdir(path.join(root, "versions", "a-venv", "bin"), { recursive: true });
    await writeFile(path.join(root, "versions", "a-venv", "pyvenv.cfg"), "home = /usr/bin\n");
    await symlink(linked[0]!.executable, path.join(root, "versions", "a-venv", "bin", "python3"));
    await symlink(served.executable, path.join(system, "python3.99"));

    const host = new HostPythonSource({ prefixRoots: [path.join(root, "versions")], systemDirs: [system] });
    const offered = (await host.builds(arch)).map((each) => each.version);
    assert.deepEqual(
      offered.sort(),
      [...new Set([...linked, served].map((each) => each.version.replace(/(\d)(a|b|rc)/, "$1-$2")))].sort(),
    );
    assert.deepEqual(await host.builds("s390x"), []);

    const cache = new ToolCache(await tempDir("hangar-python-cache-"));
    const sources: PythonSources = { useCache: true, others: [host] };
    for (const python of [...linked, served]) {
      const first = await setUpPython(
        { spec: spec(python.version), arch, checkLatest: false },
        cache,
        sources,
      );
      assert.equal(first.from, "the host's interpreters");
      const { dir } = first.installed;
      assert.equal(dir, path.join(cache.dir, "Python", first.installed.version, arch));
      assert.equal(await versionOf(path.join(dir, "bin", "python")), `Python ${python.version}`);
      assert.ok((await lstat(path.join(dir, "bin", "python"))).isSymbolicLink());
      assert.match(await readFile(path.join(dir, hostLinkMarker), "utf8"), new RegExp(`^${root}/`));
      // pip is the linked interpreter's own (`python -m pip`), whatever the host put beside it.
      assert.match(await readFile(path.join(dir, "bin", "pip"), "utf8"), /-m pip/);
      const again = await setUpPython(
        { spec: spec(python.version), arch, checkLatest: false },
        cache,
        sources,
      );
      assert.equal(again.from, undefined);
    }
  });

  it("links a complete install's own bin/, so that what pip installs there later is on PATH", async () => {
    const root = await tempDir("hangar-fake-pyenv-");
    const bin = path.join(root, "versions", "whole", "bin");
    await mkdir(bin, { recursive: true });
    const major = served.version.split(".")[0]!;
    for (const name of ["python", `python${major}`]) await symlink(served.executable, path.join(bin, name));
    for (const name of ["pip", `pip${major}`])
      await writeFile(path.join(bin, name), "#!/bin/sh\n", { mode: 0o755 });
    const host = new HostPythonSource({ prefixRoots: [path.join(root, "versions")], systemDirs: [] });
    const cache = new ToolCache(await tempDir("hangar-python-cache-"));
    const { installed } = await setUpPython({ spec: spec(served.version), arch, checkLatest: false }, cache, {
      useCache: true,
      others: [host],
    });
    assert.equal(await readlink(path.join(installed.dir, "bin")), bin);
    // `pip install pre-commit` writes its script into the install's bin/ after the step.
    await writeFile(path.join(bin, "pre-commit"), "#!/bin/sh\n", { mode: 0o755 });
    assert.ok((await lstat(path.join(installed.dir, "bin", "pre-commit"))).isFile());
  });
});

describe("Python from a python-build-standalone-shaped mirror", () => {
  it("installs a copy whose SHA256SUMS entry matches, once, then answers from the cache", async () => {
    const cache = new ToolCache(await tempDir("hangar-python-cache-"));
    const sources: PythonSources = { useCache: true, others: [new StandaloneMirrorSource(mirror.url)] };
    const minor = served.version.split(".").slice(0, 2).join(".");
    // Two legs of a matrix asking at once: one download, one install.
    const [first, second] = await Promise.all(
      [0, 1].map(() => setUpPython({ spec: spec(minor), arch, checkLatest: false }, cache, sources)),
    );
    assert.equal(first!.installed.dir, second!.installed.dir);
    assert.equal(mirror.archiveRequests.get(mirror.files.get(served.version)!), 1);
    const { dir } = first!.installed;
    assert.equal(await versionOf(path.join(dir, "bin", "python")), `Python ${served.version}`);
    // Relative links: the install is a copy that works wherever the cache is.
    assert.equal(await readlink(path.join(dir, "bin", "python")), `python${minor}`);
    await assert.rejects(lstat(path.join(dir, hostLinkMarker)));
    const cached = await setUpPython({ spec: spec("3.x"), arch, checkLatest: false }, cache, sources);
    assert.equal(cached.from, undefined);
    assert.equal(mirror.archiveRequests.get(mirror.files.get(served.version)!), 1);
  });

  it("serves `X.Yt` from the free-threaded archive, cached apart under `<arch>-freethreaded` as setup-python does", async () => {
    const both = await startStandaloneMirror([served, { ...served, freethreaded: true }]);
    try {
      const cache = new ToolCache(await tempDir("hangar-python-cache-"));
      const sources: PythonSources = { useCache: true, others: [new StandaloneMirrorSource(both.url)] };
      const minor = served.version.split(".").slice(0, 2).join(".");
      const threaded = await setUpPython(
        { spec: spec(`${minor}t`), arch, checkLatest: false },
        cache,
        sources,
      );
      assert.equal(threaded.installed.arch, `${arch}-freethreaded`);
      assert.equal(await readlink(path.join(threaded.installed.dir, "bin", "python")), `python${minor}t`);
      assert.equal(both.archiveRequests.get(both.files.get(`${served.version}t`)!), 1);
      const plain = await setUpPython({ spec: spec(minor), arch, checkLatest: false }, cache, sources);
      assert.equal(plain.installed.arch, arch);
      assert.equal(await readlink(path.join(plain.installed.dir, "bin", "python")), `python${minor}`);
      // The plain build is no stand-in for a free-threaded one.
      const fresh = new ToolCache(await tempDir("hangar-python-cache-"));
      await assert.rejects(
        setUpPython({ spec: spec(`${minor}t`), arch, checkLatest: false }, fresh, {
          useCache: true,
          others: [new StandaloneMirrorSource(mirror.url)],
        }),
        new RegExp(`^ToolError: Python ${minor}t \\(${arch}-freethreaded\\) is not available`),
      );
    } finally {
      await both.close();
    }
  });

  it("refuses an archive whose digest differs from SHA256SUMS and leaves no install behind", async () => {
    const corrupted = await startStandaloneMirror([served]);
    try {
      corrupted.corrupt(served.version);
      const cache = new ToolCache(await tempDir("hangar-python-cache-"));
      const sources: PythonSources = { useCache: true, others: [new StandaloneMirrorSource(corrupted.url)] };
      await assert.rejects(
        setUpPython({ spec: spec(served.version), arch, checkLatest: false }, cache, sources),
        /has sha256 [0-9a-f]{64}, but its source published [0-9a-f]{64}/,
      );
      assert.deepEqual(await cache.list(), []);
    } finally {
      await corrupted.close();
    }
  });

  it("fails a version no source has in one line: what was asked, what each has, and the command", async () => {
    const cache = new ToolCache(await tempDir("hangar-python-cache-"));
    const empty = await tempDir("hangar-no-pythons-");
    const sources: PythonSources = {
      useCache: true,
      others: [
        new HostPythonSource({ prefixRoots: [empty], systemDirs: [] }),
        new StandaloneMirrorSource(mirror.url),
      ],
    };
    const error = await setUpPython({ spec: spec("3.99"), arch, checkLatest: false }, cache, sources).then(
      () => assert.fail("3.99 was set up"),
      (failure: Error) => failure,
    );
    assert.doesNotMatch(error.message, /\n/);
    assert.equal(
      error.message,
      `Python 3.99 (${arch}) is not available: the tool cache has no Python; the host's interpreters: none; ` +
        `the python-build-standalone mirror ${mirror.url}: ${served.version}. Add it with: hangar tools add python 3.99`,
    );
  });
});
