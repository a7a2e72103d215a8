// The built-in actions/setup-python in real `hangar run`s on the host executor: a matrix over every CPython this
// host has (linked once each), two legs installing one mirror version once, .python-version, multi-line versions,
// update-environment: false, the pip cache across runs, `hangar tools` for python, and the one-line failure.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { hasPipCache, type HostPython } from "../support/host-pythons.js";
import { startHostPythonMirror, type StandaloneMirror } from "../support/python-standalone-mirror.js";

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

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-setup-python-"));
  dirs.push(dir);
  return dir;
}

async function repoWith(files: Record<string, string>): Promise<string> {
  const repo = await makeGitRepo(files);
  dirs.push(repo);
  return repo;
}

function runIn(repo: string, data: string, sources: string) {
  return runHangar(
    ["run", repo, "--json", "--data-dir", data, "--tool-source", sources, "--python-mirror", mirror.url],
    { timeoutMs: 900_000 },
  );
}

/** A push workflow of one job, `test`, with these steps. */
function oneJob(steps: string): string {
  return `on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
}

/** Steps that fail unless the Python on PATH is `version` and setup-python's outputs and variables name it. */
function checks(version: string): string {
  return `      - run: python --version
      - run: |
          test "$(python -c 'import platform; print(platform.python_version())')" = "${version}"
          test "\${{ steps.setup.outputs.python-version }}" = "${version}"
          test "\${{ steps.setup.outputs.python-path }}" = "$pythonLocation/bin/python"
          test "$(command -v python)" = "$pythonLocation/bin/python"
          test "$Python_ROOT_DIR" = "$pythonLocation" && test "$Python3_ROOT_DIR" = "$pythonLocation"
          test "$PKG_CONFIG_PATH" = "$pythonLocation/lib/pkgconfig"
          case "$LD_LIBRARY_PATH" in "$pythonLocation/lib"|"$pythonLocation/lib:"*) ;; *) exit 1;; esac
          case "$pythonLocation" in "$RUNNER_TOOL_CACHE/Python/${version}/"*) ;; *) exit 1;; esac
`;
}

describe("built-in actions/setup-python", () => {
  it("runs a matrix over every CPython on this host, linking each once", { timeout: 1_200_000 }, async () => {
    const versions = pythons.map((each) => each.version);
    const repo = await repoWith({
      ".github/workflows/ci.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: [${versions.map((each) => `"${each}"`).join(", ")}]
    steps:
      - id: setup
        uses: actions/setup-python@v5
        with:
          python-version: \${{ matrix.python }}
${checks("${{ matrix.python }}")}`,
    });
    const data = await tempDir();
    const first = await runIn(repo, data, "cache,host");
    assert.equal(first.code, 0, first.stderr);
    for (const version of versions)
      assert.match(first.stderr, new RegExp(`Python ${version.replace(/\./g, "\\.")}`));
    assert.equal((first.stderr.match(/Acquiring Python/g) ?? []).length, versions.length);
    const second = await runIn(repo, data, "cache,host");
    assert.equal(second.code, 0, second.stderr);
    assert.equal((second.stderr.match(/Found in cache @/g) ?? []).length, versions.length);
    assert.doesNotMatch(second.stderr, /Acquiring/);
  });

  it("installs a mirror version once for two legs; reads .python-version; honours update-environment", async () => {
    const minor = served.version.split(".").slice(0, 2).join(".");
    const repo = await repoWith({
      ".python-version": `${minor}\n`,
      ".github/workflows/ci.yml": `on: push
jobs:
  legs:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        leg: [a, b]
    steps:
      - id: setup
        uses: actions/setup-python@v5
        with:
          python-version: "${minor}"
${checks(served.version)}
  version-file:
    runs-on: ubuntu-latest
    steps:
      - id: setup
        uses: actions/setup-python@v5
${checks(served.version)}
  quiet:
    runs-on: ubuntu-latest
    steps:
      - id: setup
        uses: actions/setup-python@v5
        with:
          python-version: "${minor}"
          update-environment: false
      - run: |
          test -z "\${pythonLocation:-}"
          test "$("\${{ steps.setup.outputs.python-path }}" -c 'import platform; print(platform.python_version())')" = "${served.version}"
`,
    });
    const result = await runIn(repo, await tempDir(), "cache,mirror");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(mirror.archiveRequests.get(mirror.files.get(served.version)!), 1);
    assert.match(result.stderr, /Neither python-version nor python-version-file is given/);
  });

  it("puts every line of a multi-line python-version on PATH, the last one first", async (t) => {
    if (pythons.length < 2) {
      t.skip("this host has one CPython");
      return;
    }
    const [older, newer] = [pythons[0]!.version, pythons[1]!.version];
    const repo = await repoWith({
      ".github/workflows/ci.yml": oneJob(`      - id: setup
        uses: actions/setup-python@v5
        with:
          python-version: |
            ${older}
            ${newer}
${checks(newer)}
      - run: |
          python${older.split(".").slice(0, 2).join(".")} -c 'import platform; print(platform.python_version())' | grep -x '${older}'
`),
    });
    const result = await runIn(repo, await tempDir(), "cache,host");
    assert.equal(result.code, 0, result.stderr);
  });

  it("restores pip's cache dir under setup-python's key on the next run", async (t) => {
    const withPip = (await Promise.all(pythons.map((each) => hasPipCache(each.executable)))).lastIndexOf(
      true,
    );
    if (withPip < 0) {
      t.skip("no CPython on this host has a pip that knows `pip cache`");
      return;
    }
    const { version } = pythons[withPip]!;
    // A path that is the same in both runs: a cache entry is for the paths it was saved from.
    const pipCache = path.join(await tempDir(), "pip-cache");
    const repo = await repoWith({
      "requirements.txt": "attrs==23.2.0\n",
      ".github/workflows/ci.yml": oneJob(`      - id: setup
        uses: actions/setup-python@v5
        env:
          PIP_CACHE_DIR: ${pipCache}
        with:
          python-version: "${version}"
          cache: pip
      - env:
          PIP_CACHE_DIR: ${pipCache}
        run: |
          echo "cache-hit=\${{ steps.setup.outputs.cache-hit }}"
          if [ "\${{ steps.setup.outputs.cache-hit }}" = true ]; then test -f "$(pip cache dir)/marker"; else
            mkdir -p "$(pip cache dir)" && echo x > "$(pip cache dir)/marker"; fi
`),
    });
    const data = await tempDir();
    const first = await runIn(repo, data, "cache,host");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /pip cache is not found/);
    assert.match(first.stderr, /cache-hit=false/);
    assert.match(
      first.stderr,
      new RegExp(
        `Cache saved with key: setup-python-Linux-${process.arch}\\S*-python-${version}-pip-[0-9a-f]{64}`,
      ),
    );
    await rm(pipCache, { recursive: true });
    const second = await runIn(repo, data, "cache,host");
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /cache-hit=true/);
  });

  it("fails a version nothing provides in one line with the command that adds it", async () => {
    const repo = await repoWith({
      ".github/workflows/ci.yml": oneJob(`      - uses: actions/setup-python@v5
        with:
          python-version: "3.99"
`),
    });
    const result = await runIn(repo, await tempDir(), "cache,mirror");
    assert.equal(result.code, 1);
    assert.ok(
      result.stderr.includes(
        `actions/setup-python: Python 3.99 (${os.arch()}) is not available: the tool cache has no Python; ` +
          `the python-build-standalone mirror ${mirror.url}: ${served.version}. Add it with: hangar tools add python 3.99`,
      ),
      result.stderr,
    );
  });

  it("hangar tools add, ls and rm python", async () => {
    const data = await tempDir();
    const minor = served.version.split(".").slice(0, 2).join(".");
    const tools = (...args: string[]) =>
      runHangar([
        "tools",
        ...args,
        "--data-dir",
        data,
        "--python-mirror",
        mirror.url,
        "--tool-source",
        "cache,mirror",
      ]);
    const added = await tools("add", "python", minor);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`^installed: python ${served.version} \\(${os.arch()}\\) in `));
    assert.match((await tools("add", "python", minor)).stdout, /^already installed: python/);
    assert.match(
      (await tools("ls", "python")).stdout,
      new RegExp(`Python\\s+${served.version}\\s+${os.arch()}`),
    );
    assert.match((await tools("rm", "python", served.version)).stdout, /^removed Python /);
    assert.match((await tools("ls", "python")).stdout, /^no tools in /);
  });
});
