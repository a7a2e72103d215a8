// On hangar serve, reusable workflows run as with `hangar run`, and no run or job ends failed without a reason a user
// can read in the API: each way a run can end before (or without) its jobs, on one server with an embedded runner.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import { pushWebhook } from "../support/hangar-process.js";

interface ApiRun {
  run: { id: number; status: string; conclusion: string; attempt: number; message: string | null };
  jobs: {
    key: string;
    attempt: number;
    conclusion: string;
    outputs: Record<string, string> | null;
    message: string | null;
  }[];
}

const secret = "s";
const called = `on:
  workflow_call:
    inputs:
      who:
        type: string
        required: true
    outputs:
      said:
        value: \${{ jobs.inner.outputs.said }}
jobs:
  inner:
    runs-on: ubuntu-latest
    outputs:
      said: \${{ steps.say.outputs.said }}
    steps:
      - id: say
        run: echo "said=hi \${{ inputs.who }}" >> "$GITHUB_OUTPUT"
`;

let server: RunningServer;
let base: string;
let headers: { authorization: string };
const repos: string[] = [];
let repositoryCount = 0;

before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "hangar-run-reasons-"));
  server = await startServer({
    dataDir: base,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["ubuntu-latest"],
  });
  headers = authHeaders(await createApiToken(server.store));
});

after(async () => {
  await server.close();
  await Promise.all([base, ...repos].map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A repository of its own holding `files`, registered and pushed; resolves with its runs once they finished. */
async function push(files: Record<string, string>): Promise<{ runs: ApiRun[]; repo: string }> {
  const repo = await makeGitRepo(files);
  repos.push(repo);
  const name = `octo-org/repo-${++repositoryCount}`;
  await insertRepository(server.store, { name, gitUrl: repo, webhookSecret: secret });
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  const ids = await pushWebhook(server.store, server.url, { secret, repository: name, sha, branch: "main" });
  await server.launcher.idle();
  return { runs: await Promise.all(ids.map(readRun)), repo };
}

async function readRun(id: number): Promise<ApiRun> {
  const response = await fetch(`${server.url}/api/runs/${id}`, { headers });
  assert.equal(response.status, 200);
  return (await response.json()) as ApiRun;
}

function caller(uses: string): string {
  return `on: push
jobs:
  call:
    uses: ${uses}
    with:
      who: server
  check:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.call.outputs.said }}" = "hi server"
`;
}

test("a job calling ./.github/workflows/called.yml runs its jobs and gives its outputs", async () => {
  const { runs } = await push({
    ".github/workflows/ci.yml": caller("./.github/workflows/called.yml"),
    ".github/workflows/called.yml": called,
  });
  assert.equal(runs.length, 1);
  const [{ run, jobs }] = runs as [ApiRun];
  assert.deepEqual([run.status, run.conclusion, run.message], ["completed", "success", null]);
  assert.deepEqual(
    jobs
      .map((j) => [j.key, j.conclusion, j.outputs])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ["call", "success", { said: "hi server" }],
      ["call / inner", "success", { said: "hi server" }],
      ["check", "success", {}],
    ],
  );
});

for (const [what, uses, files, reason] of [
  [
    "a missing called workflow",
    "./.github/workflows/missing.yml",
    {},
    /cannot read reusable workflow '\.\/\.github\/workflows\/missing\.yml': \.github\/workflows\/missing\.yml does not exist at [0-9a-f]{40}/,
  ],
  [
    "a called workflow outside .github/workflows",
    "./shared/called.yml",
    { "shared/called.yml": called },
    /cannot read reusable workflow '\.\/shared\/called\.yml': a reusable workflow must be a file of \.github\/workflows/,
  ],
  [
    "a called workflow that does not parse",
    "./.github/workflows/broken.yml",
    { ".github/workflows/broken.yml": "on: workflow_call\njobs:\n  inner: [\n" },
    /\.github\/workflows\/broken\.yml:\d+:\d+: error WF_/,
  ],
  [
    "a called workflow past the size limit",
    "./.github/workflows/huge.yml",
    { ".github/workflows/huge.yml": `on: workflow_call\n# ${"x".repeat(600 * 1024)}\njobs: {}\n` },
    /WF_TOO_LARGE|WF_TOO_COMPLEX/,
  ],
] as const) {
  test(`${what} fails the calling job, saying why`, async () => {
    const { runs } = await push({ ".github/workflows/ci.yml": caller(uses), ...files });
    const [{ run, jobs }] = runs as [ApiRun];
    assert.deepEqual([run.status, run.conclusion], ["completed", "failure"]);
    const call = jobs.find((j) => j.key === "call");
    assert.equal(call?.conclusion, "failure", JSON.stringify(jobs));
    assert.match(call.message ?? "", reason);
    assert.match(call.message ?? "", /^\.github\/workflows\/ci\.yml:4:5: /);
    // The job that needed it is skipped, and recorded so, as on GitHub.
    assert.deepEqual(
      jobs.filter((j) => j.key === "check").map((j) => j.conclusion),
      ["skipped"],
    );
  });
}

for (const [what, workflowLevel, at] of [
  ["a workflow env", "env:\n  BAD: ${{ fromJSON('not json') }}", "3:3"],
  ["a workflow concurrency group", "concurrency: ${{ fromJSON('{') }}", "2:14"],
] as const) {
  test(`${what} that fails to evaluate ends the run before any job, with the reason on the run`, async () => {
    const { runs } = await push({
      ".github/workflows/ci.yml": `on: push\n${workflowLevel}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n`,
    });
    const [{ run, jobs }] = runs as [ApiRun];
    assert.deepEqual([run.status, run.conclusion, jobs], ["completed", "failure", []]);
    assert.match(run.message ?? "", new RegExp(`^\\.github/workflows/ci\\.yml:${at}: .*fromJSON`));
  });
}

test("a job whose if: or matrix fails to evaluate gets a row saying why, though no runner saw it", async () => {
  const { runs } = await push({
    ".github/workflows/ci.yml": `on: push
jobs:
  gated:
    if: \${{ fromJSON('nope') }}
    runs-on: ubuntu-latest
    steps:
      - run: true
  matrix:
    strategy:
      matrix:
        include: \${{ fromJSON('[1]') }}
    runs-on: ubuntu-latest
    steps:
      - run: true
`,
  });
  const [{ run, jobs }] = runs as [ApiRun];
  assert.deepEqual([run.status, run.conclusion, run.message], ["completed", "failure", null]);
  const byKey = Object.fromEntries(jobs.map((j) => [j.key, j]));
  assert.equal(byKey["gated"]?.conclusion, "failure");
  assert.match(byKey["gated"]?.message ?? "", /^\.github\/workflows\/ci\.yml:4:9: .*fromJSON/);
  assert.equal(byKey["matrix"]?.conclusion, "failure");
  assert.match(byKey["matrix"]?.message ?? "", /matrix/);
});

test("an invalid workflow file on a push is a failed run saying what is wrong, as GitHub records it", async () => {
  const { runs } = await push({ ".github/workflows/ci.yml": "on: push\njobs:\n  build:\n    runs-on: [\n" });
  assert.equal(runs.length, 1);
  const [{ run, jobs }] = runs as [ApiRun];
  assert.deepEqual([run.status, run.conclusion, jobs], ["completed", "failure", []]);
  assert.match(
    run.message ?? "",
    /^invalid workflow file \.github\/workflows\/ci\.yml:\n\.github\/workflows\/ci\.yml:\d+:\d+: WF_/,
  );
});

test("a re-run whose workflow can no longer be read ends its attempt with the reason", async () => {
  const { runs, repo } = await push({
    ".github/workflows/ci.yml":
      "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n",
  });
  const [{ run }] = runs as [ApiRun];
  // The repository is gone, and with it the mirror's source: the workflow cannot be read again.
  await rm(repo, { recursive: true, force: true });
  await rm(path.join(base, "mirrors"), { recursive: true, force: true });
  const rerun = await fetch(`${server.url}/api/runs/${run.id}/rerun`, { method: "POST", headers });
  assert.equal(rerun.status, 202);
  await server.launcher.idle();
  const again = await readRun(run.id);
  assert.deepEqual([again.run.attempt, again.run.status, again.run.conclusion], [2, "completed", "failure"]);
  assert.match(again.run.message ?? "", /^the run could not be re-run: /);
});
