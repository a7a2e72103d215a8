// hangar serve reporting back to (a fake) GitHub end to end: signed webhooks start real runs, and each job's
// commit status or check run, and a pull request's summary comment, reach GitHub's REST API in order.
// Reporting touches no store code, so these run on SQLite only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { test, type TestContext } from "node:test";
import { startServer, type ServerConfig } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { generateAppKey, startFakeGitHub, type FakeGitHubOptions } from "../support/fake-github.js";
import { makePullRequest } from "../support/pull-request.js";

const secret = "webhook-secret-7c2d";
const fullName = "octo-org/octo-repo";

// build succeeds, test fails on the first attempt only, deploy is skipped when test fails.
const workflow = `name: ci
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo building
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ github.run_attempt }}" = 2
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: echo deploying
`;

async function startScenario(
  t: TestContext,
  fake: Omit<FakeGitHubOptions, "repositories">,
  github: (url: string) => NonNullable<ServerConfig["github"]>,
) {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  const fakeGitHub = await startFakeGitHub({ ...fake, repositories: [fullName] });
  const database = await createTestDatabase("sqlite");
  const server = await startServer({
    dataDir: database.options.dataDir,
    host: "127.0.0.1",
    port: 0,
    github: github(fakeGitHub.url),
    embeddedRunnerLabels: ["ubuntu-latest"],
  });
  let stopped: Promise<void> | undefined;
  // Closing waits for the reports in flight, so after it nothing more reaches GitHub.
  const stop = () => (stopped ??= server.close());
  t.after(async () => {
    await stop();
    await fakeGitHub.close();
    await rm(repo, { recursive: true, force: true });
  });
  await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret: secret });
  const push = async () => {
    const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
      event: "push",
      secret,
      payload: {
        ref: "refs/heads/main",
        before: "0000000000000000000000000000000000000000",
        after: sha,
        repository: { full_name: fullName },
        sender: { login: "octocat" },
      },
    });
    assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
    return delivered.taken!.runIds[0]!;
  };
  return { repo, sha, server, github: fakeGitHub, stop, push };
}

test("statuses mode: each job that ran gets pending, then its conclusion, linking to the run", async (t) => {
  const token = "ghp_statuses_token";
  const { sha, server, github, stop, push } = await startScenario(t, { token }, (baseUrl) => ({
    baseUrl,
    token,
  }));
  const runId = await push();
  await server.launcher.idle();
  await stop();

  const byContext = new Map<string, string[]>();
  for (const status of github.statuses) {
    const context = String(status.body["context"]);
    byContext.set(context, [...(byContext.get(context) ?? []), String(status.body["state"])]);
    assert.equal(status.sha, sha);
    assert.equal(status.authorization, `token ${token}`);
    assert.equal(status.body["target_url"], `${server.url}/api/runs/${runId}`);
  }
  // The skipped deploy job gets no status at all.
  assert.deepEqual(Object.fromEntries(byContext), {
    "hangar/ci/build": ["pending", "success"],
    "hangar/ci/test": ["pending", "failure"],
  });
  assert.match(String(github.statuses.at(-1)!.body["description"]), /^failure in \d+s$/);
  assert.equal(github.checkRuns.length, 0);
  assert.equal(github.comments.length, 0);
});

test("checks mode as a GitHub App: a check run per job, in progress then completed", async (t) => {
  const key = generateAppKey();
  const { sha, server, github, stop, push } = await startScenario(
    t,
    { app: { id: 31, publicKey: key.publicKey, installations: { [fullName]: 77 } } },
    (baseUrl) => ({ baseUrl, appId: "31", privateKey: key.privateKey, report: "checks" }),
  );
  const runId = await push();
  await server.launcher.idle();
  await stop();

  const summary = github.checkRuns.map((c) => [c.name, c.status, c.conclusion, c.head_sha, c.details_url]);
  const details = `${server.url}/api/runs/${runId}`;
  assert.deepEqual(summary, [
    ["hangar/ci/build", "completed", "success", sha, details],
    ["hangar/ci/test", "completed", "failure", sha, details],
    ["hangar/ci/deploy", "completed", "skipped", sha, details],
  ]);
  const [build, test, deploy] = github.checkRuns;
  assert.equal(build!.external_id, `${runId}/1/build`);
  assert.match(test!.output?.title ?? "", /^failure in \d+s$/);
  const writes = github.requests.filter((r) => r.path.includes("/check-runs"));
  // Started jobs are created in progress and completed by an update; the skipped one is created completed.
  assert.deepEqual(
    writes.map((r) => `${r.method} ${String(r.body?.["status"])} ${r.status}`),
    [
      "POST in_progress 201",
      "PATCH completed 200",
      "POST in_progress 201",
      "PATCH completed 200",
      "POST completed 201",
    ],
  );
  assert.deepEqual(
    writes.map((r) => r.path),
    [
      `/repos/${fullName}/check-runs`,
      `/repos/${fullName}/check-runs/${build!.id}`,
      `/repos/${fullName}/check-runs`,
      `/repos/${fullName}/check-runs/${test!.id}`,
      `/repos/${fullName}/check-runs`,
    ],
  );
  assert.ok(deploy);
  // One installation lookup and one installation token served every report; each job that ran (build, test) also
  // had a lookup and a token of its own, for one repository (job-token.test.ts).
  const appCalls = github.requests.filter(
    (r) => r.path.includes("installation") && r.method !== "DELETE" && !r.body?.["repositories"],
  );
  assert.deepEqual(appCalls.map((r) => `${r.method} ${r.path} ${r.status}`).sort(), [
    ...Array(3).fill(`GET /repos/${fullName}/installation 200`),
    "POST /app/installations/77/access_tokens 201",
  ]);
  assert.ok(writes.every((r) => /^token ghs_installation_77_/.test(r.authorization ?? "")));
});

test("a pull request run gets one summary comment, updated in place when the run is re-run", async (t) => {
  const token = "ghp_comment_token";
  const { repo, server, github, stop } = await startScenario(t, { token }, (baseUrl) => ({
    baseUrl,
    token,
    prComment: true,
  }));
  const pr = await makePullRequest(repo, { number: 12, files: { "src/app.txt": "change\n" } });
  const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
    event: "pull_request",
    secret,
    payload: pr.payload("opened", fullName),
  });
  assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
  const runId = delivered.taken!.runIds[0]!;
  await github.waitFor(() => github.comments.length > 0);

  const [comment] = github.comments;
  assert.deepEqual([comment!.issueNumber, github.comments.length], [12, 1]);
  assert.ok(comment!.body.startsWith(`<!-- hangar run ${runId} -->\n`), comment!.body);
  assert.match(comment!.body, /### hangar: ci ❌ failure/);
  assert.match(
    comment!.body,
    new RegExp(`\\[Run ${runId}\\]\\(${server.url}/api/runs/${runId}\\), attempt 1`),
  );
  assert.match(comment!.body, /\| build \| ✅ success \| \d+s \|/);
  assert.match(comment!.body, /\| test \| ❌ failure \| \d+s \|/);
  assert.match(comment!.body, /\| deploy \| ⏭️ skipped \| - \|/);
  // Statuses go to the test merge commit the run checked out.
  assert.ok(github.statuses.length > 0 && github.statuses.every((s) => s.sha === pr.mergeSha));

  const rerun = await fetch(`${server.url}/api/runs/${runId}/rerun`, {
    method: "POST",
    headers: authHeaders(await createApiToken(server.store, { role: "operator" })),
  });
  assert.equal(rerun.status, 202);
  await server.launcher.idle();
  await stop();
  assert.equal(github.comments.length, 1);
  assert.equal(github.comments[0]!.id, comment!.id);
  assert.match(github.comments[0]!.body, /### hangar: ci ✅ success/);
  assert.match(github.comments[0]!.body, /attempt 2/);
  assert.match(github.comments[0]!.body, /\| deploy \| ✅ success \| \d+s \|/);
  const commentWrites = github.requests.filter((r) => r.path.includes("/comments") && r.method !== "GET");
  assert.deepEqual(
    commentWrites.map((r) => `${r.method} ${r.path}`),
    [`POST /repos/${fullName}/issues/12/comments`, `PATCH /repos/${fullName}/issues/comments/${comment!.id}`],
  );
});

test("reports GitHub refuses are logged and the run still completes", async (t) => {
  const { server, github, stop, push } = await startScenario(t, { token: "ghp_right" }, (baseUrl) => ({
    baseUrl,
    token: "ghp_wrong",
  }));
  const runId = await push();
  await server.launcher.idle();
  const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
  const { run } = (await (await fetch(`${server.url}/api/runs/${runId}`, { headers: viewer })).json()) as {
    run: { status: string; conclusion: string };
  };
  await stop();
  // The run's own conclusion (test fails on attempt 1), not an error from reporting.
  assert.deepEqual([run.status, run.conclusion], ["completed", "failure"]);
  assert.ok(github.requests.length >= 4);
  assert.ok(github.requests.every((r) => r.status === 401));
  assert.equal(github.statuses.length, 0);
});
