// A JavaScript action runs on the Node its `runs.using` names (docs "Metadata syntax: runs.using": node20, node24),
// as GitHub's runner carries both: a node24 action on a runner whose own node is older gets Node 24 from the tool
// cache, installed once from the npm registry; a node20 action keeps the runner's node.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { startNpmRegistryCache, type NpmRegistryCache } from "../support/npm-registry-cache.js";

let registry: NpmRegistryCache;
const dirs: string[] = [];
before(async () => (registry = await startNpmRegistryCache()));
after(async () => {
  await registry.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const versionAction = (using: string) => ({
  [`.github/actions/${using}/action.yml`]: `runs:\n  using: ${using}\n  main: main.js\n`,
  [`.github/actions/${using}/main.js`]: `require("node:fs").appendFileSync(process.env.GITHUB_OUTPUT, "version=" + process.version + "\\n");\n`,
});

test(
  "a node24 action runs on Node 24 and a node20 action on the runner's node",
  { timeout: 900_000 },
  async () => {
    const repo = await makeGitRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  versions:
    runs-on: ubuntu-latest
    outputs:
      node20: \${{ steps.node20.outputs.version }}
      node24: \${{ steps.node24.outputs.version }}
    steps:
      - uses: actions/checkout@v4
      - id: node20
        uses: ./.github/actions/node20
      - id: node24
        uses: ./.github/actions/node24
`,
      ...versionAction("node20"),
      ...versionAction("node24"),
    });
    const data = await mkdtemp(path.join(os.tmpdir(), "hangar-node-action-"));
    dirs.push(repo, data);
    const run = () =>
      runHangar(["run", repo, "--json", "--data-dir", data, "--tool-source", "cache,npm"], {
        env: { NPM_CONFIG_REGISTRY: registry.url },
        timeoutMs: 600_000,
      });
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const outputs = (JSON.parse(first.stdout) as { jobs: { outputs: Record<string, string> }[] }).jobs[0]!
      .outputs;
    const own = Number(process.versions.node.split(".")[0]);
    assert.equal(outputs["node20"], process.version);
    if (own < 24) assert.match(outputs["node24"] ?? "", /^v24\./);
    else assert.equal(outputs["node24"], process.version);

    // The second run finds Node 24 in the tool cache.
    const downloads = [...registry.tarballRequests.values()].reduce((sum, n) => sum + n, 0);
    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      [...registry.tarballRequests.values()].reduce((sum, n) => sum + n, 0),
      downloads,
    );
  },
);
