// `hangar run --real-action actions/setup-node` (or `--real-actions`) runs the action from the configured GitHub
// instead of hangar's built-in, on the same tool cache: here "GitHub" is a loopback git host whose
// actions/setup-node is a small action of our own that finds Node as @actions/tool-cache's find() does.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server.js";
import { runHangar } from "../support/hangar-cli.js";
import { startNpmRegistryCache, type NpmRegistryCache } from "../support/npm-registry-cache.js";

// RUNNER_TOOL_CACHE/node/<version>/<arch> beside <arch>.complete, the layout @actions/tool-cache reads.
const findInToolCache = `const fs = require("node:fs");
const path = require("node:path");
const root = path.join(process.env.RUNNER_TOOL_CACHE, "node");
const major = process.env["INPUT_NODE-VERSION"];
const version = fs.readdirSync(root).find((v) => v.startsWith(major + ".") && fs.existsSync(path.join(root, v, process.arch + ".complete")));
if (!version) { console.log("::error::node " + major + " is not in the tool cache"); process.exit(1); }
fs.appendFileSync(process.env.GITHUB_PATH, path.join(root, version, process.arch, "bin") + "\\n");
fs.appendFileSync(process.env.GITHUB_OUTPUT, "node-version=v" + version + "\\nfrom=real action\\n");
`;

let registry: NpmRegistryCache;
let gitHub: GitHttpServer;
const dirs: string[] = [];
before(async () => {
  registry = await startNpmRegistryCache();
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-real-actions-"));
  dirs.push(root);
  gitHub = await startGitHttpServer({ root });
  const action = await makeGitRepo({
    "action.yml": "name: setup-node\ninputs:\n  node-version: {}\nruns:\n  using: node20\n  main: main.js\n",
    "main.js": findInToolCache,
  });
  dirs.push(action);
  execFileSync("git", ["-C", action, "tag", "v4"]);
  await gitHub.publish("actions/setup-node", action);
});
after(async () => {
  await gitHub.close();
  await registry.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const workflow = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      from: \${{ steps.setup.outputs.from }}
      version: \${{ steps.setup.outputs.node-version }}
    steps:
      - id: setup
        uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: case "$(node --version)" in v22.*) ;; *) exit 1;; esac
`;

test(
  "--real-action runs the real actions/setup-node on the tool cache hangar fills; without it the built-in runs",
  { timeout: 900_000 },
  async () => {
    const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
    const data = await mkdtemp(path.join(os.tmpdir(), "hangar-real-actions-data-"));
    dirs.push(repo, data);
    const env = { NPM_CONFIG_REGISTRY: registry.url };
    const added = await runHangar(["tools", "add", "node", "22", "--data-dir", data], {
      env,
      timeoutMs: 600_000,
    });
    assert.equal(added.code, 0, added.stderr);

    const run = (...extra: string[]) =>
      runHangar(["run", repo, "--json", "--data-dir", data, "--github-url", gitHub.url, ...extra], { env });
    const real = await run("--real-action", "actions/setup-node");
    assert.equal(real.code, 0, real.stderr);
    const realJob = (JSON.parse(real.stdout) as { jobs: { outputs: Record<string, string> }[] }).jobs[0]!;
    assert.equal(realJob.outputs["from"], "real action");
    assert.match(realJob.outputs["version"] ?? "", /^v22\./);
    assert.equal(gitHub.requestsFor("actions/setup-node").length > 0, true);

    const builtin = await run();
    assert.equal(builtin.code, 0, builtin.stderr);
    const builtinJob = (JSON.parse(builtin.stdout) as { jobs: { outputs: Record<string, string> }[] })
      .jobs[0]!;
    assert.equal(builtinJob.outputs["from"], "");
    assert.equal(builtinJob.outputs["version"], realJob.outputs["version"]);
  },
);

test("--real-action names only hangar's built-ins", async () => {
  const result = await runHangar(["run", ".", "--real-action", "actions/setup-ruby"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--real-action: 'actions\/setup-ruby' is not one of hangar's built-ins/);
});
