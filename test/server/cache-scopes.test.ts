// Cache scopes end to end: `hangar serve`, one `hangar runner` and runs of pushes, pull requests (a fork's among them)
// and a re-run, each restoring and saving the one key `deps`; a job reports whose entry it restored, if any.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import type { RunningServer } from "../../src/server/index.js";
import { getRun, mintRegistrationToken } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { pushWebhook, startRunner } from "../support/hangar-process.js";
import { makePullRequest, type PullRequest } from "../support/pull-request.js";
import {
  repositoryName,
  startServerWithRepository,
  webhookSecret,
} from "../support/server-with-repository.js";

const writer = "${{ github.event_name }} ${{ github.ref }}";
// On a miss, actions/cache's post step saves what the run wrote: which event and ref it was.
const workflow = `on: [push, pull_request, pull_request_target]
jobs:
  probe:
    runs-on: [self-hosted, linux]
    outputs:
      found: \${{ steps.read.outputs.found }}
    steps:
      - run: rm -rf .deps
      - uses: actions/cache@v4
        with:
          key: deps
          path: .deps
      - id: read
        run: echo "found=$(cat .deps/writer 2>/dev/null || echo none)" >> "$GITHUB_OUTPUT"
      - run: mkdir -p .deps && echo "$WRITER" > .deps/writer
        env:
          WRITER: ${writer}
`;

interface Setup {
  server: RunningServer;
  repo: string;
  viewer: Record<string, string>;
  operator: Record<string, string>;
}

/** A server, a runner taking every job on the host executor, and branches feature-a and feature-c off main. */
async function setUp(t: { after(fn: () => Promise<void>): void }): Promise<Setup> {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  for (const branch of ["feature-a", "feature-c"]) execFileSync("git", ["-C", repo, "branch", branch]);
  const { server, base } = await startServerWithRepository(t, repo);
  const { token } = await mintRegistrationToken(server.store);
  const runner = await startRunner({
    url: server.url,
    registrationToken: token,
    dataDir: path.join(base, "runner"),
    name: "scopes",
    labels: ["self-hosted", "linux"],
    args: ["--executor", "host"],
  });
  t.after(() => runner.kill("SIGTERM"));
  return {
    server,
    repo,
    viewer: authHeaders(await createApiToken(server.store, { role: "viewer" })),
    operator: authHeaders(await createApiToken(server.store, { role: "operator" })),
  };
}

interface Probe {
  /** What the job restored: `<event> <ref>` of the run that saved it, `poisoned`, or `none`. */
  found: string;
  log: string;
}

/** The run's latest attempt, once finished: what its job restored, and its log. */
async function probeOf(setup: Setup, runId: number): Promise<Probe> {
  await setup.server.launcher.idle();
  const found = await getRun(setup.server.store, runId);
  assert.equal(found?.run.conclusion, "success", JSON.stringify(found));
  const job = found!.jobs.filter((candidate) => candidate.attempt === found!.run.attempt)[0]!;
  const logs = (await (
    await fetch(`${setup.server.url}/api/jobs/${job.id}/logs`, { headers: setup.viewer })
  ).json()) as { chunks: { text: string }[] };
  return { found: job.outputs?.["found"] ?? "", log: logs.chunks.map((chunk) => chunk.text).join("") };
}

async function push(setup: Setup, branch: string): Promise<Probe> {
  const sha = execFileSync("git", ["-C", setup.repo, "rev-parse", branch]).toString().trim();
  const [runId] = await pushWebhook(setup.server.store, setup.server.url, {
    secret: webhookSecret,
    repository: repositoryName,
    sha,
    branch,
  });
  return probeOf(setup, runId!);
}

/** Delivers `event` for the pull request, its head in `headRepo` (a fork when not this repository). */
async function deliver(
  setup: Setup,
  event: string,
  pr: PullRequest,
  options: { action: string; headRepo: string },
): Promise<Probe & { runId: number }> {
  const payload = pr.payload(options.action, repositoryName) as {
    pull_request: Record<string, Record<string, unknown>>;
  };
  payload.pull_request["head"]!["repo"] = { full_name: options.headRepo };
  payload.pull_request["base"]!["repo"] = { full_name: repositoryName };
  const delivered = await deliverWebhook(setup.server.store, `${setup.server.url}/webhooks/github`, {
    event,
    secret: webhookSecret,
    payload,
  });
  assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
  const [runId] = delivered.taken!.runIds;
  return { runId: runId!, ...(await probeOf(setup, runId!)) };
}

const saved = /Cache saved with key: deps/;

test("a fork's pull request cache is restored by that pull request's later runs only, never by main", async (t) => {
  const setup = await setUp(t);
  // The fork changes the workflow its pull_request runs use: its cache holds a poisoned file.
  const fork = await makePullRequest(setup.repo, {
    number: 5,
    files: { ".github/workflows/ci.yml": workflow.replace(writer, "poisoned") },
  });
  const forkRun = { headRepo: "mallory/octo-repo" };

  // 1. The fork's pull_request run saves under refs/pull/5/merge.
  const opened = await deliver(setup, "pull_request", fork, { action: "opened", ...forkRun });
  assert.equal(opened.found, "none");
  assert.match(opened.log, saved);
  // 2. pull_request_target runs on main with the base's workflow: it restores main's caches but saves none.
  const target = await deliver(setup, "pull_request_target", fork, { action: "opened", ...forkRun });
  assert.equal(target.found, "none");
  assert.match(target.log, /Cache not saved: a pull_request_target run on refs\/heads\/main/);
  // 3. main finds neither: a miss, then its own entry.
  const main = await push(setup, "main");
  assert.equal(main.found, "none");
  assert.match(main.log, saved);
  // 4. A new push to the pull request and 5. a re-run of its first run restore its own entry before main's.
  const synchronized = await deliver(setup, "pull_request", fork, { action: "synchronize", ...forkRun });
  assert.equal(synchronized.found, "poisoned");
  const rerun = await fetch(`${setup.server.url}/api/runs/${opened.runId}/rerun`, {
    method: "POST",
    headers: setup.operator,
  });
  assert.equal(rerun.status, 202);
  assert.equal((await probeOf(setup, opened.runId)).found, "poisoned");
  // 6. main still restores its own.
  assert.equal((await push(setup, "main")).found, "push refs/heads/main");
});

test("main's cache reaches pull requests and branches; a branch's reaches neither main nor a sibling", async (t) => {
  const setup = await setUp(t);
  // 1. feature-a saves its own; 2. main, its parent, does not see it and saves its own.
  assert.equal((await push(setup, "feature-a")).found, "none");
  assert.equal((await push(setup, "main")).found, "none");
  // 3. The sibling feature-c falls back to main's, not feature-a's.
  assert.equal((await push(setup, "feature-c")).found, "push refs/heads/main");
  // 4. A pull request into main restores main's; 5. one into feature-a restores its base's first.
  const intoMain = await makePullRequest(setup.repo, { number: 6, files: { "a.txt": "a\n" } });
  const same = { action: "opened", headRepo: repositoryName };
  assert.equal((await deliver(setup, "pull_request", intoMain, same)).found, "push refs/heads/main");
  const intoFeature = await makePullRequest(setup.repo, {
    number: 7,
    base: "feature-a",
    files: { "b.txt": "b\n" },
  });
  assert.equal((await deliver(setup, "pull_request", intoFeature, same)).found, "push refs/heads/feature-a");
  // 6. feature-a restores its own entry before main's.
  assert.equal((await push(setup, "feature-a")).found, "push refs/heads/feature-a");
});
