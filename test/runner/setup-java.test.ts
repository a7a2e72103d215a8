// Where setup-java's JDK comes from and what the step does in a real `hangar run`: this machine's own JDK (found
// through /usr/bin/java) linked into the cache and run by a workflow, an Adoptium-API mirror on loopback (paged
// listing, sha256, archive layout, setup-java's folder names), a corrupted archive refused, the one-line failures, and
// a sandbox job run as root (which cannot see the tool cache) using its own java.
// The mirror's archives hold a shell script for bin/java (test/support/adoptium-mirror.ts): no JDK is downloaded.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lstat, readlink, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { findExecutable } from "../../src/runner/find-executable.js";
import {
  AdoptiumSource,
  HostJdkSource,
  javaArch,
  setUpJava,
  ToolCache,
  type JavaRequest,
  type ToolSources,
} from "../../src/runner/tools/index.js";
import { startAdoptiumMirror, type AdoptiumMirror } from "../support/adoptium-mirror.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { tempDirs } from "../support/temp-dirs.js";

const run = promisify(execFile);
const arch = javaArch(os.arch());
const temp = tempDirs();
let mirror: AdoptiumMirror;
/** This machine's `java`, whose JDK the host tests link in; they are skipped on a machine without one. */
const hostJava = findExecutable("java", process.env["PATH"]);

before(
  async () =>
    (mirror = await startAdoptiumMirror(["21.0.3+9", "21.0.2+13", "17.0.11+9", "17.0.7+7", "11.0.23+9"])),
);
after(async () => {
  await mirror.close();
  await temp.removeAll();
});

function temurin(spec: string, checkLatest = false): JavaRequest {
  return { spec, arch, checkLatest, distribution: "temurin", packageType: "jdk" };
}

function fromMirror(): ToolSources {
  return { useCache: true, remote: [new AdoptiumSource(mirror.url, "jdk")] };
}

/** The major version `java -version` reports, e.g. 17. */
async function hostMajor(): Promise<string> {
  const { stderr } = await run(hostJava!, ["-version"]);
  return stderr.match(/version "(\d+)/)![1]!;
}

describe("the JDK on this machine", { skip: hostJava ? false : "no java on PATH" }, () => {
  it("is found through the java on PATH, its real home linked into the cache under setup-java's name", async () => {
    const major = await hostMajor();
    const home = path.dirname(path.dirname(await realpath(hostJava!)));
    const cache = new ToolCache(await temp.make("hangar-java-cache-"));
    const sources: ToolSources = { useCache: true, remote: [new HostJdkSource("jdk")] };
    const setUp = await setUpJava(temurin(major), cache, sources);
    assert.equal(setUp.from, "this machine");
    assert.equal(setUp.distribution, "Temurin-Hotspot");
    assert.match(setUp.version, new RegExp(`^${major}\\.\\d+\\.\\d+`));
    assert.equal(
      setUp.installed.dir,
      path.join(cache.dir, "Java_Temurin-Hotspot_jdk", setUp.version.replace("+", "-"), arch),
    );
    const bin = path.join(setUp.installed.dir, "bin");
    assert.ok((await lstat(bin)).isSymbolicLink());
    assert.equal(await readlink(bin), path.join(home, "bin"));
    const { stderr } = await run(path.join(bin, "java"), ["-version"]);
    assert.match(stderr, new RegExp(`version "${major}[."]`));

    const again = await setUpJava(temurin(major), cache, sources);
    assert.equal(again.from, undefined);
    assert.equal(again.version, setUp.version);
  });

  it("runs `java -version` in a workflow through hangar run, with setup-java's variables and outputs", async () => {
    const major = await hostMajor();
    const repo = await makeGitRepo({
      ".java-version": `${major}\n`,
      "pom.xml": "<project><modelVersion>4.0.0</modelVersion></project>\n",
      ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: java
        uses: actions/setup-java@v4
        with:
          distribution: temurin
          java-version-file: .java-version
          cache: maven
      - run: |
          java -version
          test "$JAVA_HOME" = "\${{ steps.java.outputs.path }}"
          test "$JAVA_HOME_${major}_${arch.toUpperCase()}" = "$JAVA_HOME"
          test "$(command -v java)" = "$JAVA_HOME/bin/java"
          test "\${{ steps.java.outputs.distribution }}" = Temurin-Hotspot
          case "\${{ steps.java.outputs.version }}" in ${major}.*) ;; *) exit 1;; esac
          case "$JAVA_HOME" in "$RUNNER_TOOL_CACHE"/Java_Temurin-Hotspot_jdk/${major}.*/${arch}) ;; *) exit 1;; esac
          echo "cache-hit=\${{ steps.java.outputs.cache-hit }}"
          if test "\${{ steps.java.outputs.cache-hit }}" = true; then test -f ~/.m2/repository/marker; fi
          mkdir -p ~/.m2/repository && echo artifact > ~/.m2/repository/marker
`,
    });
    temp.keep(repo);
    const data = await temp.make("hangar-setup-java-");
    const runIt = () => runHangar(["run", repo, "--data-dir", data, "--tool-source", "cache,host"]);
    const first = await runIt();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`openjdk version "${major}`));
    assert.match(first.stderr, /maven cache is not found/);
    assert.match(first.stderr, /Cache saved with key: setup-java-Linux-\w+-maven-[0-9a-f]{64}/);
    // Maven's repository is below HOME: the job's own, kept between runs, so only the cache can bring it back.
    await rm(path.join(data, "homes", "0", ".m2"), { recursive: true });
    const second = await runIt();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Resolved Java \S+ from tool-cache/);
    assert.match(second.stderr, /cache-hit=true/);
  });
});

/** As root the sandbox runs jobs as other uids, which cannot pass through the data dir to the tool cache. */
const sandboxAsRoot =
  process.getuid?.() === 0 && findExecutable("bwrap", process.env["PATH"]) && hostJava
    ? false
    : "needs root, bwrap and java";

describe("a job that cannot see the tool cache", { skip: sandboxAsRoot }, () => {
  it("uses its own java when it fits, and a missing go fails naming the executor", async () => {
    const major = await hostMajor();
    const repo = temp.keep(
      await makeGitRepo({
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: java
        uses: actions/setup-java@v4
        with:
          distribution: temurin
          java-version: ${major}
      - run: case "\${{ steps.java.outputs.version }}" in ${major}.*) ;; *) exit 1;; esac
      - uses: actions/setup-go@v5
        with:
          go-version: "1.22"
`,
      }),
    );
    const result = await runHangar([
      "run",
      repo,
      "--data-dir",
      await temp.make("hangar-java-sandbox-"),
      "--executor",
      "sandbox",
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`Using \\S+/java ${major}\\.\\S+ for java ${major}`));
    assert.match(
      result.stderr,
      /actions\/setup-go: go 1\.22 was asked for; the sandbox executor cannot show the runner's tool cache to this job, and the job's own go is (missing|\S+); run the job on the host executor/,
    );
  });
});

describe("a JDK from an Adoptium-API mirror", () => {
  it("pages through the listing, installs once under setup-java's folder name, then answers from the cache", async () => {
    const cache = new ToolCache(await temp.make("hangar-java-cache-"));
    const setUp = await setUpJava(temurin("17"), cache, fromMirror());
    assert.equal(setUp.version, "17.0.11+9");
    assert.equal(setUp.installed.dir, path.join(cache.dir, "Java_Temurin-Hotspot_jdk", "17.0.11-9", arch));
    const { stdout } = await run(path.join(setUp.installed.dir, "bin", "java"), ["--version"]);
    assert.match(stdout, /Temurin-17\.0\.11\+9/);
    // Five releases, two to a page: three pages, each asked as setup-java asks.
    assert.equal(mirror.listingQueries.length, 3);
    for (const [name, value] of Object.entries({
      vendor: "adoptium",
      os: "linux",
      architecture: arch,
      image_type: "jdk",
      release_type: "ga",
      jvm_impl: "hotspot",
    }))
      assert.equal(mirror.listingQueries[0]!.get(name), value, name);

    const again = await setUpJava(temurin("17"), cache, fromMirror());
    assert.equal(again.from, undefined);
    assert.equal(again.version, "17.0.11+9");
    const exact = await setUpJava(temurin("17.0.7+7"), cache, fromMirror());
    assert.equal(exact.version, "17.0.7+7");
    assert.match(exact.from ?? "", /Adoptium mirror/);
    // `latest` and check-latest ask the mirror even when the cache has a match.
    assert.equal((await setUpJava(temurin("latest"), cache, fromMirror())).version, "21.0.3+9");
    assert.equal((await setUpJava(temurin("17", true), cache, fromMirror())).version, "17.0.11+9");
    assert.equal(mirror.archiveRequests.get("17.0.11+9"), 1);
  });

  it("refuses an archive whose sha256 differs from the listing's", async () => {
    const cache = new ToolCache(await temp.make("hangar-java-cache-"));
    mirror.corrupt("11.0.23+9");
    await assert.rejects(
      setUpJava(temurin("11"), cache, fromMirror()),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "TOOL_VERSION_UNAVAILABLE");
        assert.match(error.message, /has sha256 [0-9a-f]{64}, but its source published [0-9a-f]{64}/);
        return true;
      },
    );
    assert.deepEqual(await cache.list(), []);
  });

  it("fails a version nobody has in one line, naming what the cache and each source have", async () => {
    const cache = new ToolCache(await temp.make("hangar-java-cache-"));
    await setUpJava(temurin("21.0.2+13"), cache, fromMirror());
    await assert.rejects(setUpJava(temurin("8"), cache, fromMirror()), (error: Error) => {
      assert.equal(
        error.message,
        `Java Temurin-Hotspot jdk 8 (${arch}) is not available: the tool cache has 21.0.2+13; the Adoptium mirror ` +
          `${mirror.url} has 21.0.3+9, 21.0.2+13, 17.0.11+9, 17.0.7+7, 11.0.23+9. Add it with: hangar tools add java 8`,
      );
      return true;
    });
  });

  it("hangar tools add, ls and rm know java; a distribution hangar does not provide fails the step clearly", async () => {
    const data = await temp.make("hangar-tools-java-");
    const added = await runHangar([
      "tools",
      "add",
      "java",
      "21",
      "--data-dir",
      data,
      "--tool-source",
      "cache,mirror",
      "--java-mirror",
      mirror.url,
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^installed: java 21\.0\.3\+9 \(\w+\) in .*\/Java_Temurin-Hotspot_jdk\/21\.0\.3-9\//,
    );
    const listed = await runHangar(["tools", "ls", "java", "--data-dir", data]);
    assert.match(listed.stdout, /Java_Temurin-Hotspot_jdk\s+21\.0\.3-9/);
    const removed = await runHangar(["tools", "rm", "java", "21.0.3+9", "--data-dir", data]);
    assert.match(removed.stdout, /removed Java_Temurin-Hotspot_jdk 21\.0\.3-9/);

    const repo = await makeGitRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-java@v4
        with:
          distribution: zulu
          java-version: 21
`,
    });
    temp.keep(repo);
    const failed = await runHangar(["run", repo, "--data-dir", data]);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /actions\/setup-java: Java distribution 'zulu' with java-package 'jdk' is not available here; hangar's setup-java provides temurin \(jdk, jre\)/,
    );
  });
});
