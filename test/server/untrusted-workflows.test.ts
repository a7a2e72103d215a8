// A real `hangar serve` handed a YAML alias bomb, from a fork's pull request and on the default branch: it keeps
// answering /healthz (latencies are reported, not asserted: speed is the bench's business), answers the delivery,
// listens before it reads schedules, and names the limit.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { test, type TestContext } from "node:test";
import { insertRepository, openStore } from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { aliasBomb } from "../support/alias-bomb.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { freePort, pushWebhook, startServe } from "../support/hangar-process.js";
import { makePullRequest } from "../support/pull-request.js";

const repositoryName = "octo-org/octo-repo";
const secret = "bomb-secret";

const releaseOnly = `on:
  push:
    branches: [release]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
`;

const weekly = `on:
  schedule:
    - cron: "30 5 * * 1"
jobs:
  audit:
    runs-on: ubuntu-latest
    steps:
      - run: npm audit
`;

/** `hangar serve` on SQLite with the repository registered before it starts, so it reads schedules at start. */
async function serveRepository(t: TestContext, gitRepo: string) {
  const database = await createTestDatabase("sqlite");
  const store = await openStore(database.options);
  t.after(async () => {
    await store.close();
    await rm(gitRepo, { recursive: true, force: true });
  });
  await insertRepository(store, { name: repositoryName, gitUrl: gitRepo, webhookSecret: secret });
  return Object.assign(await startServe({ dataDir: database.options.dataDir, port: await freePort() }), {
    store,
  });
}

/**
 * GET /healthz every ~20 ms until `until` settles; the latency of each answer. A server whose only thread is busy
 * answers late or not at all, so each request gives up after 5 s and fails the test.
 */
async function pollHealth(url: string, until: Promise<unknown>): Promise<number[]> {
  let isSettled = false;
  until.then(
    () => (isSettled = true),
    () => (isSettled = true),
  );
  const latencies: number[] = [];
  while (!isSettled) {
    const started = performance.now();
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.deepEqual(await response.json(), { status: "ok" });
    latencies.push(performance.now() - started);
    await sleep(20);
  }
  return latencies;
}

test("a fork's pull request with an alias bomb is answered, refused by name, and /healthz keeps answering", async (t) => {
  const repo = await makeGitRepo({ ".github/workflows/build.yml": releaseOnly });
  const server = await serveRepository(t, repo);
  // A first delivery clones the mirror and starts a pool worker, so the one measured is the bomb's alone.
  const mainSha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  assert.deepEqual(
    await pushWebhook(server.store, server.url, {
      secret,
      repository: repositoryName,
      sha: mainSha,
      branch: "main",
    }),
    [],
  );
  const pr = await makePullRequest(repo, {
    number: 7,
    files: { ".github/workflows/lol.yml": aliasBomb("  pull_request:") },
  });
  const payload = pr.payload("opened", repositoryName);
  // A fork: the head repository is not the base repository (GitHub's pull_request.head.repo).
  const pullRequest = payload["pull_request"] as Record<string, Record<string, unknown>>;
  pullRequest["head"]!["repo"] = { full_name: "mallory/octo-repo", fork: true };
  pullRequest["base"]!["repo"] = { full_name: repositoryName, fork: false };

  const started = performance.now();
  const delivery = deliverWebhook(server.store, `${server.url}/webhooks/github`, {
    event: "pull_request",
    payload,
    secret,
  });
  const [latencies, delivered] = await Promise.all([pollHealth(server.url, delivery), delivery]);
  const takenMs = performance.now() - started;

  assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
  // One run: the invalid file's, failed before any job with its problems as the reason (run-reasons.test.ts).
  assert.equal(delivered.taken?.runIds.length, 1);
  assert.deepEqual(delivered.taken.skipped, [
    {
      file: ".github/workflows/build.yml",
      reason: "event 'pull_request' is not listed in the workflow's 'on'",
    },
  ]);
  assert.deepEqual(delivered.taken.invalid, [
    {
      file: ".github/workflows/lol.yml",
      problems: [
        ".github/workflows/lol.yml:10:23: WF_TOO_COMPLEX: alias *lol4 expands the file past the limit of 50,000 YAML nodes",
      ],
    },
  ]);
  assert.ok(latencies.length > 0);
  const slowest = Math.max(...latencies);
  t.diagnostic(
    `delivery taken in ${Math.round(takenMs)} ms; ${latencies.length} /healthz answers, slowest ${slowest.toFixed(1)} ms`,
  );
});

test("an alias bomb with on: schedule on the default branch: serve listens first, answers, and reports it", async (t) => {
  const repo = await makeGitRepo({
    ".github/workflows/lol.yml": aliasBomb('  schedule:\n    - cron: "0 3 * * *"'),
    ".github/workflows/weekly.yml": weekly,
  });
  const server = await serveRepository(t, repo);
  const reported = server.waitForStdout(/"msg":"invalid workflow"/);
  const latencies = await pollHealth(server.url, reported);
  await reported;

  const lines = server
    .stdout()
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const listening = lines.findIndex((line) => String(line["msg"]).startsWith("Server listening at"));
  const invalid = lines.filter((line) => line["msg"] === "invalid workflow");
  assert.ok(
    listening >= 0 && listening < lines.indexOf(invalid[0]!),
    "the server listened before it read schedules",
  );
  assert.deepEqual(
    invalid.map((line) => [line["file"], line["problems"]]),
    [
      [
        ".github/workflows/lol.yml",
        [
          ".github/workflows/lol.yml:11:23: error WF_TOO_COMPLEX: alias *lol4 expands the file past the limit of 50,000 YAML nodes",
        ],
      ],
    ],
  );
  const slowest = Math.max(...latencies);
  t.diagnostic(
    `${latencies.length} /healthz answers while schedules were read, slowest ${slowest.toFixed(1)} ms`,
  );
});
