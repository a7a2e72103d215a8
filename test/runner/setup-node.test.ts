// The built-in actions/setup-node in real `hangar run`s on the host executor: a matrix over Node 18, 22 and 24 whose
// installs happen once, a version file, registry-url's .npmrc, and the one-line failure.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { startNpmRegistryCache, type NpmRegistryCache } from "../support/npm-registry-cache.js";

const dirs: string[] = [];
let registry: NpmRegistryCache;
before(async () => (registry = await startNpmRegistryCache()));
after(async () => {
  await registry.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-setup-node-"));
  dirs.push(dir);
  return dir;
}

const matrixWorkflow = `name: node matrix
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [18, 22, 24]
    steps:
      - id: setup
        uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
      - run: node --version
      - run: |
          case "$(node --version)" in v\${{ matrix.node }}.*) ;; *) echo "wrong node $(node --version)"; exit 1;; esac
          test "\${{ steps.setup.outputs.node-version }}" = "$(node --version)"
          test "$RUNNER_TOOL_CACHE" = "\${{ runner.tool_cache }}"
          case "$(command -v node)" in "$RUNNER_TOOL_CACHE"/node/\${{ matrix.node }}.*/*/bin/node) ;; *) exit 1;; esac
`;

function runIn(repo: string, data: string, extra: string[] = []) {
  return runHangar(["run", repo, "--json", "--data-dir", data, "--tool-source", "cache,npm", ...extra], {
    env: { NPM_CONFIG_REGISTRY: registry.url },
    timeoutMs: 900_000,
  });
}

describe("built-in actions/setup-node", () => {
  it("runs a matrix over Node 18, 22 and 24, installing each once", { timeout: 1_200_000 }, async () => {
    const repo = await makeGitRepo({ ".github/workflows/ci.yml": matrixWorkflow });
    dirs.push(repo);
    const data = await dataDir();
    const first = await runIn(repo, data);
    assert.equal(first.code, 0, first.stderr);
    for (const major of ["18", "22", "24"]) assert.match(first.stderr, new RegExp(`v${major}\\.\\d+\\.\\d+`));
    const installed = [...registry.tarballRequests].filter(([name]) => name.startsWith("node-linux-"));
    assert.equal(installed.length, 3);
    assert.ok(installed.every(([, count]) => count === 1));

    const second = await runIn(repo, data);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((second.stderr.match(/Found in cache @/g) ?? []).length, 3);
    assert.doesNotMatch(second.stderr, /Acquiring/);
    assert.deepEqual(
      [...registry.tarballRequests].filter(([name]) => name.startsWith("node-linux-")),
      installed,
    );
  });

  it("reads node-version-file inside the job and writes registry-url's .npmrc in RUNNER_TEMP", async () => {
    const repo = await makeGitRepo({
      ".nvmrc": "v22\n",
      ".github/workflows/ci.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version-file: .nvmrc
          registry-url: https://npm.example.test
          scope: Octo
      - run: |
          node --version | grep '^v22\\.'
          test "$NPM_CONFIG_USERCONFIG" = "$RUNNER_TEMP/.npmrc"
          grep -qx '//npm.example.test/:_authToken=\${NODE_AUTH_TOKEN}' "$NPM_CONFIG_USERCONFIG"
          grep -qx '@octo:registry=https://npm.example.test/' "$NPM_CONFIG_USERCONFIG"
`,
    });
    dirs.push(repo);
    const result = await runIn(repo, await dataDir());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Resolved \.nvmrc as 22/);
  });

  it("fails a version no source has in one line with the command that adds it", async () => {
    const repo = await makeGitRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version: 3.x
`,
    });
    dirs.push(repo);
    const result = await runIn(repo, await dataDir());
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /actions\/setup-node: Node 3\.x \(\w+\) is not available: the tool cache has no Node; the npm registry .*has \d[^;]*\. Add it with: hangar tools add node 3\.x/,
    );
  });
});
