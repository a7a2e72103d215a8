// `github.token` on `hangar serve` as a GitHub App: each job gets an installation token for its repository alone,
// with its `permissions:`, read-only for a fork's pull request, masked, never stored, and revoked when the job ends.
// fake-github is the App's REST API; a real server runs real jobs on its embedded runner, on SQLite.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import type { DeliveredSecrets } from "../../src/runner/index.js";
import { startServer, type ServerConfig } from "../../src/server/index.js";
import { getRun, insertRepository } from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import {
  defaultInstallationPermissions,
  generateAppKey,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubApp,
  type RecordedRequest,
} from "../support/fake-github.js";
import { makeGitRepo } from "../support/git-repo.js";
import { registerHttpRunner } from "../support/http-runner.js";
import { makePullRequest } from "../support/pull-request.js";

const secret = "webhook-secret-job-token";
/** What read-all and a fork's pull request get: every permission of fake-github's installation, at read. */
const allRead = Object.fromEntries(Object.keys(defaultInstallationPermissions).map((name) => [name, "read"]));
const fullName = "octo-org/octo-repo";
const appId = 31;

async function startScenario(
  t: TestContext,
  files: Record<string, string>,
  options: {
    app?: Partial<Omit<FakeGitHubApp, "publicKey">>;
    /** The server authenticates with this token instead of as the App. */
    token?: string;
    github?: Partial<NonNullable<ServerConfig["github"]>>;
    server?: Partial<ServerConfig>;
  } = {},
) {
  const key = generateAppKey();
  const github = await startFakeGitHub({
    app: { id: appId, publicKey: key.publicKey, installations: { [fullName]: 77 }, ...options.app },
    ...(options.token ? { token: options.token } : {}),
    repositories: [fullName, "octo-org/other"],
  });
  const auth = options.token
    ? { token: options.token }
    : { appId: String(appId), privateKey: key.privateKey };
  // The fake's address reaches the steps through the file, as an `env:` of the workflow.
  const withApi = Object.fromEntries(
    Object.entries(files).map(([name, text]) => [name, text.replaceAll("FAKE_API", github.url)]),
  );
  const repo = await makeGitRepo(withApi);
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  const database = await createTestDatabase("sqlite");
  const server = await startServer({
    dataDir: database.options.dataDir,
    host: "127.0.0.1",
    port: 0,
    github: { baseUrl: github.url, ...auth, ...options.github },
    embeddedRunnerLabels: ["ubuntu-latest"],
    ...options.server,
  });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= server.close());
  t.after(async () => {
    await stop();
    await github.close();
    await rm(repo, { recursive: true, force: true });
  });
  await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret: secret });
  const deliver = async (event: string, payload: Record<string, unknown>) => {
    const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
      event,
      secret,
      payload,
    });
    assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
    const runId = delivered.taken!.runIds[0]!;
    await server.launcher.idle();
    return (await getRun(server.store, runId))!;
  };
  const push = () =>
    deliver("push", {
      ref: "refs/heads/main",
      before: "0000000000000000000000000000000000000000",
      after: sha,
      repository: { full_name: fullName },
      sender: { login: "octocat" },
    });
  return { github, server, repo, stop, deliver, push, dataDir: database.options.dataDir };
}

/** The tokens made for jobs: for one repository (commit statuses go with a token for the whole installation). */
function jobTokens(github: FakeGitHub) {
  return github.installationTokens.filter((token) => token.repositories !== undefined);
}

/** A push workflow of one job, `build`, whose step needs its token; `permissions` is YAML for the job's. */
function buildWorkflow(permissions?: string): string {
  return `on: push
jobs:
  build:
    runs-on: ubuntu-latest${permissions === undefined ? "" : `\n    permissions: ${permissions}`}
    steps:
      - run: test -n "\${{ github.token }}"
`;
}

function isJobTokenRequest(request: Pick<RecordedRequest, "path" | "body">): boolean {
  return request.path.endsWith("/access_tokens") && request.body?.["repositories"] !== undefined;
}

function conclusions(run: { jobs: { key: string; conclusion: string | null }[] }) {
  return Object.fromEntries(run.jobs.map((job) => [job.key, job.conclusion]));
}

// Jobs run one after another (needs), so the fake's tokens come in the jobs' order.
const permissionsWorkflow = `name: token
on: push
env:
  API: FAKE_API
permissions:
  contents: read
  issues: write
jobs:
  workflow-level:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test -n "$TOKEN"
          test "$TOKEN" = "$SECRET"
          curl -fsS -H "Authorization: Bearer $TOKEN" "$API/repos/octo-org/octo-repo" | grep -q '"full_name":"octo-org/octo-repo"'
          echo "the token is $TOKEN"
          # The token is for this repository alone.
          test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/repos/octo-org/other")" = 404
        env:
          TOKEN: \${{ github.token }}
          SECRET: \${{ secrets.GITHUB_TOKEN }}
  job-level:
    needs: workflow-level
    runs-on: ubuntu-latest
    permissions:
      statuses: write
    steps:
      - run: test -n "\${{ github.token }}"
  read-all:
    needs: job-level
    runs-on: ubuntu-latest
    permissions: read-all
    steps:
      - run: test -n "\${{ github.token }}"
  none:
    needs: read-all
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - run: test -n "\${{ github.token }}"
  call:
    needs: none
    permissions:
      contents: read
    uses: ./.github/workflows/called.yml
`;

// Asks for more than its caller has: it gets no more than the caller's permissions.
const calledWorkflow = `on: workflow_call
jobs:
  called:
    runs-on: ubuntu-latest
    permissions:
      contents: write
      issues: write
    steps:
      - run: test -n "\${{ github.token }}"
`;

test("each job's token has its permissions:, is masked, is revoked after the job and is never stored", async (t) => {
  const { github, push, stop, dataDir } = await startScenario(t, {
    ".github/workflows/token.yml": permissionsWorkflow,
    ".github/workflows/called.yml": calledWorkflow,
  });
  const run = await push();
  assert.deepEqual(conclusions(run), {
    "workflow-level": "success",
    "job-level": "success",
    "read-all": "success",
    none: "success",
    call: "success",
    "call / called": "success",
  });

  const issued = jobTokens(github);
  assert.deepEqual(
    issued.map((token) => [token.installationId, token.repositories]),
    Array(5).fill([77, ["octo-repo"]]),
  );
  assert.deepEqual(
    issued.map((token) => token.permissions),
    [
      { metadata: "read", contents: "read", issues: "write" },
      { metadata: "read", statuses: "write" },
      allRead,
      { metadata: "read" },
      { metadata: "read", contents: "read" },
    ],
  );
  // The App's JWT asked for each token; the first job's token reached GitHub from the step.
  const tokenCalls = github.requests.filter(isJobTokenRequest);
  assert.ok(tokenCalls.every((r) => /^bearer /i.test(r.authorization ?? "") && r.status === 201));
  assert.ok(
    github.requests.some(
      (r) => r.path === `/repos/${fullName}` && r.authorization === `Bearer ${issued[0]!.token}`,
    ),
  );

  await github.waitFor(() => issued.every((token) => token.isRevoked));
  const revocations = github.requests.filter(
    (r) => r.method === "DELETE" && r.path === "/installation/token",
  );
  assert.deepEqual(
    revocations.map((r) => [r.authorization, r.status]),
    issued.map((token) => [`token ${token.token}`, 204]),
  );

  const stored = (await stop().then(() => readStoredBytes(dataDir))).toString("latin1");
  assert.match(stored, /the token is \*\*\*/);
  for (const { token } of issued) assert.ok(!stored.includes(token), `${token} is in the database`);
});

test("a fork's pull request gets a read-only token and no secrets", async (t) => {
  const workflow = `name: fork
on: pull_request
permissions: write-all
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: test -n "\${{ github.token }}" && test -z "\${{ secrets.DEPLOY_KEY }}"
`;
  const { github, repo, server, deliver } = await startScenario(t, { "README.md": "base\n" });
  const admin = authHeaders(await createApiToken(server.store));
  const put = await fetch(`${server.url}/api/repositories/${fullName}/secrets/DEPLOY_KEY`, {
    method: "PUT",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ value: "deploy-key-value" }),
  });
  assert.equal(put.status, 200, await put.text());
  const pr = await makePullRequest(repo, { number: 5, files: { ".github/workflows/fork.yml": workflow } });
  const payload = pr.payload("opened", fullName) as { pull_request: Record<string, Record<string, unknown>> };
  payload.pull_request["head"]!["repo"] = { full_name: "mallory/octo-repo" };
  payload.pull_request["base"]!["repo"] = { full_name: fullName };

  const run = await deliver("pull_request", payload as unknown as Record<string, unknown>);
  assert.deepEqual(conclusions(run), { check: "success" });
  assert.deepEqual(jobTokens(github)[0]!.permissions, allRead);
});

test("without permissions:, jobs get the default: restricted, or permissive as far as the App may", async (t) => {
  const workflow = buildWorkflow();
  const restricted = await startScenario(t, { ".github/workflows/ci.yml": workflow });
  assert.deepEqual(conclusions(await restricted.push()), { build: "success" });
  // The installation has no packages permission: the default asks for what it has.
  assert.deepEqual(jobTokens(restricted.github)[0]!.permissions, { metadata: "read", contents: "read" });

  const permissive = await startScenario(
    t,
    { ".github/workflows/ci.yml": workflow },
    { github: { jobTokenPermissions: "permissive" } },
  );
  assert.deepEqual(conclusions(await permissive.push()), { build: "success" });
  assert.deepEqual(jobTokens(permissive.github)[0]!.permissions, {
    metadata: "read",
    checks: "write",
    contents: "read",
    issues: "write",
    pull_requests: "write",
    statuses: "write",
  });
});

test("with a plain --github-token, jobs get no token: it is the operator's credential", async (t) => {
  const workflow = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: test -z "\${{ github.token }}" && test -z "\${{ secrets.GITHUB_TOKEN }}"
`;
  const { github, push } = await startScenario(
    t,
    { ".github/workflows/ci.yml": workflow },
    { token: "ghp_x" },
  );
  assert.deepEqual(conclusions(await push()), { build: "success" });
  assert.deepEqual(github.installationTokens, []);
});

test("a token GitHub cannot give fails the job at set-up, saying why; a 5xx is retried once", async (t) => {
  const notInstalled = await startScenario(
    t,
    { ".github/workflows/ci.yml": buildWorkflow("read-all") },
    { app: { installations: {} } },
  );
  const [unclaimed] = (await notInstalled.push()).jobs;
  assert.equal(unclaimed!.conclusion, "failure");
  assert.match(
    unclaimed!.message ?? "",
    /GITHUB_TOKEN: GitHub App 31 has no installation on octo-org\/octo-repo that it may use \(GitHub answered 404\)/,
  );

  const notGranted = await startScenario(t, {
    ".github/workflows/ci.yml": buildWorkflow("\n      contents: read\n      packages: write"),
  });
  const [refused] = (await notGranted.push()).jobs;
  assert.equal(refused!.conclusion, "failure");
  assert.match(refused!.message ?? "", /ask for packages: write, which GitHub App 31 was not granted/);
  assert.equal(jobTokens(notGranted.github).length, 0);

  const flaky = await startScenario(t, { ".github/workflows/ci.yml": buildWorkflow("read-all") });
  flaky.github.failNext(isJobTokenRequest, [502]);
  assert.deepEqual(conclusions(await flaky.push()), { build: "success" });
  const down = await startScenario(t, { ".github/workflows/ci.yml": buildWorkflow("read-all") });
  down.github.failNext(isJobTokenRequest, [503, 503]);
  const [failed] = (await down.push()).jobs;
  assert.equal(failed!.conclusion, "failure");
  assert.match(
    failed!.message ?? "",
    /GitHub did not create an installation token .*\(GitHub answered 503\)/,
  );
  const attempts = down.github.requests.filter(isJobTokenRequest);
  assert.deepEqual(
    attempts.map((r) => r.status),
    [503, 503],
  );
});

test("a lost runner's token is revoked, and the job's next claim gets a token of its own", async (t) => {
  const workflow = buildWorkflow();
  const { github, server, push } = await startScenario(
    t,
    { ".github/workflows/ci.yml": workflow },
    {
      server: {
        embeddedRunnerLabels: [],
        resilience: { runnerLeaseMs: 1_000, leaseSweepMs: 200, runnerLostPolicy: "requeue" },
      },
    },
  );
  const finished = push();
  // 1. A runner claims the job with its token, then never heartbeats again: the sweeper requeues the job.
  const lost = await registerHttpRunner(server, "lost", ["ubuntu-latest"]);
  const first = await lost.claimJob();
  const firstToken = (first["secrets"] as DeliveredSecrets).repository["GITHUB_TOKEN"];
  assert.equal(firstToken, jobTokens(github)[0]!.token);
  await github.waitFor(() => jobTokens(github)[0]!.isRevoked);
  // 2. The next claim of the same job gets a new token, revoked once that runner completes the job.
  const next = await registerHttpRunner(server, "next", ["ubuntu-latest"]);
  const second = await next.claimJob();
  assert.equal(second["jobId"], first["jobId"]);
  const secondToken = (second["secrets"] as DeliveredSecrets).repository["GITHUB_TOKEN"];
  assert.equal(secondToken, jobTokens(github)[1]!.token);
  assert.equal(jobTokens(github)[1]!.isRevoked, false);
  await next.complete(Number(second["jobId"]));
  await github.waitFor(() => jobTokens(github)[1]!.isRevoked);
  assert.deepEqual(conclusions(await finished), { build: "success" });
});

/** The SQLite database and its write-ahead log, as bytes on disk. */
async function readStoredBytes(dataDir: string): Promise<Buffer> {
  const names = (await readdir(dataDir)).filter((name) => name.startsWith("hangar.db"));
  assert.ok(names.includes("hangar.db"));
  return Buffer.concat(await Promise.all(names.map((name) => readFile(path.join(dataDir, name)))));
}
