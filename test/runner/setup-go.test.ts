// Where setup-go's Go comes from and what the step does in a real `hangar run`: a go.dev/dl-shaped mirror on loopback
// (listing, sha256, archive layout, installed once), a corrupted archive refused, a Go already on this machine linked
// into the cache, the one-line failure, and a workflow reading go.mod whose module cache survives to the next run.
// No real Go can be downloaded here: the archives' go/bin/go is a shell script that answers `go version` and
// `go env` as Go does (test/support/go-dist-mirror.ts).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lstat, mkdir, readdir, readlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  GoDistMirrorSource,
  goSourcesFor,
  HostGoSource,
  setUpGo,
  ToolCache,
  type ToolSources,
} from "../../src/runner/tools/index.js";
import { makeGitRepo } from "../support/git-repo.js";
import { goArchHere, startGoDistMirror, writeGoRoot, type GoDistMirror } from "../support/go-dist-mirror.js";
import { runHangar } from "../support/hangar-cli.js";
import { tempDirs } from "../support/temp-dirs.js";

const run = promisify(execFile);
const arch = os.arch();
const temp = tempDirs();
let mirror: GoDistMirror;

before(async () => (mirror = await startGoDistMirror(["1.23.1", "1.23.0", "1.22.7", "1.22.3", "1.21.13"])));
after(async () => {
  await mirror.close();
  await temp.removeAll();
});

function fromMirror(): ToolSources {
  return { useCache: true, remote: [new GoDistMirrorSource(mirror.url)] };
}

describe("Go from a go.dev/dl-shaped mirror", () => {
  it("installs the newest match once in go/<version>/<arch>, then answers from the cache", async () => {
    const cache = new ToolCache(await temp.make("hangar-go-cache-"));
    const first = await setUpGo({ spec: "1.22", arch, checkLatest: false }, cache, fromMirror());
    assert.equal(first.version, "1.22.7");
    assert.match(first.from ?? "", /the Go mirror http:\/\/127\.0\.0\.1/);
    assert.equal(first.installed.dir, path.join(cache.dir, "go", "1.22.7", arch));
    const { stdout } = await run(path.join(first.installed.dir, "bin", "go"), ["version"]);
    assert.match(stdout, /^go version go1\.22\.7 linux\//);

    const again = await setUpGo({ spec: "^1.22.5", arch, checkLatest: false }, cache, fromMirror());
    assert.equal(again.from, undefined);
    assert.equal(again.version, "1.22.7");
    assert.equal(mirror.archiveRequests.get(`go1.22.7.linux-${goArchHere}.tar.gz`), 1);

    const stable = await setUpGo({ spec: "stable", arch, checkLatest: false }, cache, fromMirror());
    assert.equal(stable.version, "1.23.1");
    const oldstable = await setUpGo({ spec: "oldstable", arch, checkLatest: false }, cache, fromMirror());
    assert.equal(oldstable.version, "1.22.7");
    assert.equal(oldstable.from, undefined);
  });

  it("check-latest looks past a cached version that satisfies the spec", async () => {
    const cache = new ToolCache(await temp.make("hangar-go-cache-"));
    await setUpGo({ spec: "1.22.3", arch, checkLatest: false }, cache, fromMirror());
    const cached = await setUpGo({ spec: "1.22", arch, checkLatest: false }, cache, fromMirror());
    assert.equal(cached.version, "1.22.3");
    const latest = await setUpGo({ spec: "1.22", arch, checkLatest: true }, cache, fromMirror());
    assert.equal(latest.version, "1.22.7");
  });

  it("refuses an archive whose sha256 differs from the listing's, leaving nothing in the cache", async () => {
    const cache = new ToolCache(await temp.make("hangar-go-cache-"));
    mirror.corrupt("1.21.13");
    await assert.rejects(
      setUpGo({ spec: "1.21", arch, checkLatest: false }, cache, fromMirror()),
      (error: Error & { code?: string }) =>
        error.code === "TOOL_VERSION_UNAVAILABLE" &&
        /go1\.21\.13\.linux-\w+\.tar\.gz has sha256 [0-9a-f]{64}, but its source published [0-9a-f]{64}/.test(
          error.message,
        ),
    );
    assert.deepEqual(await cache.list("go"), []);
    const leftovers = await readdir(path.join(cache.dir, "go", "1.21.13")).catch(() => []);
    assert.deepEqual(
      leftovers.filter((name) => !name.endsWith(".lock")),
      [],
    );
  });
});

describe("a Go already on this machine", () => {
  it("is linked into the cache when it satisfies, and the mirror serves what it does not", async () => {
    const machine = await temp.make("hangar-go-host-");
    // One Go is found through PATH (a link to its bin/go, as /usr/bin/go is), one where Debian puts them.
    await writeGoRoot(path.join(machine, "usr-local-go"), "1.22.3");
    await writeGoRoot(path.join(machine, "usr-lib", "go-1.21"), "1.21.6");
    await mkdir(path.join(machine, "bin"));
    await run("ln", ["-s", path.join(machine, "usr-local-go", "bin", "go"), path.join(machine, "bin", "go")]);
    const host = new HostGoSource(path.join(machine, "bin"), async () => [
      path.join(machine, "usr-lib", "go-1.21"),
    ]);
    assert.deepEqual(await host.versions(arch), ["1.22.3", "1.21.6"]);
    assert.deepEqual(await host.versions(arch === "x64" ? "arm64" : "x64"), []);

    const cache = new ToolCache(await temp.make("hangar-go-cache-"));
    const sources: ToolSources = { useCache: true, remote: [host, new GoDistMirrorSource(mirror.url)] };
    const linked = await setUpGo({ spec: "1.21", arch, checkLatest: false }, cache, sources);
    assert.equal(linked.version, "1.21.6");
    assert.equal(linked.from, "this machine");
    const bin = path.join(linked.installed.dir, "bin");
    assert.ok((await lstat(bin)).isSymbolicLink());
    assert.equal(await readlink(bin), path.join(machine, "usr-lib", "go-1.21", "bin"));
    const { stdout } = await run(path.join(bin, "go"), ["version"]);
    assert.match(stdout, /go1\.21\.6/);

    // Removing the linked install removes the links, never the Go they point at.
    await cache.remove("go", "1.21.6");
    assert.ok((await lstat(path.join(machine, "usr-lib", "go-1.21", "bin", "go"))).isFile());

    const downloaded = await setUpGo({ spec: "1.23", arch, checkLatest: false }, cache, sources);
    assert.equal(downloaded.version, "1.23.1");
    assert.match(downloaded.from ?? "", /Go mirror/);
  });

  it("fails a version nobody has in one line: the cache, each source, and the command that adds it", async () => {
    const cache = new ToolCache(await temp.make("hangar-go-cache-"));
    await setUpGo({ spec: "1.22.3", arch, checkLatest: false }, cache, fromMirror());
    const machine = await temp.make("hangar-go-host-");
    await writeGoRoot(path.join(machine, "go"), "1.20.14");
    const sources: ToolSources = {
      useCache: true,
      remote: [
        new HostGoSource("", async () => [path.join(machine, "go")]),
        new GoDistMirrorSource(mirror.url),
      ],
    };
    await assert.rejects(
      setUpGo({ spec: "1.19", arch, checkLatest: false }, cache, sources),
      (error: Error) => {
        assert.equal(
          error.message,
          `Go 1.19 (${arch}) is not available: the tool cache has 1.22.3; this machine has 1.20.14; the Go mirror ` +
            `${mirror.url} has 1.23.1, 1.23.0, 1.22.7, 1.22.3, 1.21.13. Add it with: hangar tools add go 1.19`,
        );
        return true;
      },
    );
  });
});

const goMod = `module example.com/hello

go 1.21

toolchain go1.22.3
`;

const workflow = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: go
        uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
          cache-dependency-path: go.mod
      - run: |
          go version
          test "\${{ steps.go.outputs.go-version }}" = 1.22.3
          test "$GOTOOLCHAIN" = local
          case "$(command -v go)" in "$RUNNER_TOOL_CACHE"/go/1.22.3/*/bin/go) ;; *) echo "go is $(command -v go)"; exit 1;; esac
          test "$GOMODCACHE" = "" && GOMODCACHE="$HOME/go/pkg/mod"
          case "$PATH" in "$HOME/go/bin":"$RUNNER_TOOL_CACHE"/go/1.22.3/*/bin:*) ;; *) echo "PATH is $PATH"; exit 1;; esac
          echo "cache-hit=\${{ steps.go.outputs.cache-hit }}"
          if test "\${{ steps.go.outputs.cache-hit }}" = true; then test -f "$GOMODCACHE/cache/download/marker"; fi
          mkdir -p "$GOMODCACHE/cache/download" && echo downloaded > "$GOMODCACHE/cache/download/marker"
`;

describe("setup-go in hangar run", () => {
  it(
    "reads go.mod's toolchain inside the job, installs from the mirror, and restores the module cache next run",
    { timeout: 300_000 },
    async () => {
      const repo = await makeGitRepo({ "go.mod": goMod, ".github/workflows/ci.yml": workflow });
      temp.keep(repo);
      const data = await temp.make("hangar-setup-go-");
      // Go's caches default to below HOME (GOPATH=$HOME/go, GOCACHE=$HOME/.cache/go-build): a home of the test's own.
      const home = await temp.make("hangar-setup-go-home-");
      const runIt = () =>
        runHangar(
          ["run", repo, "--data-dir", data, "--tool-source", "cache,mirror", "--go-mirror", mirror.url],
          {
            env: { HOME: home },
          },
        );
      const archive = `go1.22.3.linux-${goArchHere}.tar.gz`;
      const downloadsBefore = mirror.archiveRequests.get(archive) ?? 0;
      const first = await runIt();
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /Setup go version spec 1\.22\.3/);
      assert.match(first.stderr, /cache-hit=false/);
      assert.match(first.stderr, /Cache saved with key: setup-go-Linux-\w+-go-1\.22\.3-[0-9a-f]{64}/);
      const second = await runIt();
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /Found in cache @ /);
      assert.match(second.stderr, /cache-hit=true/);
      assert.equal(mirror.archiveRequests.get(archive), downloadsBefore + 1);
    },
  );

  it("hangar tools add go installs what setup-go would pick, and ls and rm know it", async () => {
    const data = await temp.make("hangar-tools-go-");
    const added = await runHangar([
      "tools",
      "add",
      "go",
      "~1.23.0",
      "--data-dir",
      data,
      "--tool-source",
      "cache,mirror",
      "--go-mirror",
      mirror.url,
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^installed: go 1\.23\.1 \(\w+\) in .*\/tools\/go\/1\.23\.1\//);
    const listed = await runHangar(["tools", "ls", "go", "--data-dir", data]);
    assert.match(listed.stdout, /go\s+1\.23\.1/);
    const removed = await runHangar(["tools", "rm", "go", "1.23.1", "--data-dir", data]);
    assert.match(removed.stdout, /removed go 1\.23\.1/);
    const missing = await runHangar([
      "tools",
      "add",
      "go",
      "1.5",
      "--data-dir",
      data,
      "--tool-source",
      "cache",
    ]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /error TOOL_VERSION_UNAVAILABLE: Go 1\.5 \(\w+\) is not available: .* hangar tools add go 1\.5/,
    );
  });
});

// goSourcesFor reads the order from settings: `host` and `mirror`, nothing for npm.
it("goSourcesFor makes a host and a mirror source in the order asked", () => {
  const sources = goSourcesFor({ order: ["mirror", "npm", "host"], nodeMirror: "", goMirror: mirror.url });
  assert.equal(sources.useCache, false);
  assert.deepEqual(
    sources.remote.map((each) => each.description),
    [`the Go mirror ${mirror.url}`, "this machine"],
  );
});
