// hangar serve end to end on both stores: a signed push webhook becomes a run that executes, is recorded,
// reports commit statuses to (a fake) GitHub, and is readable through the API; redeliveries make no second run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { describe, test } from "node:test";
import { startServer } from "../../src/server/index.js";
import { insertRepository, listRuns } from "../../src/store/index.js";
import { DIALECTS, createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { startFakeGitHub } from "../support/fake-github.js";

const secret = "webhook-secret-5b1e";
const token = "ghs_fake_token";

const workflow = `name: ci
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      file: \${{ steps.read.outputs.file }}
    steps:
      - uses: actions/checkout@v4
      - id: read
        run: echo "file=$(cat hello.txt)" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.build.outputs.file }}" = "hello from the mirror"
`;

for (const dialect of DIALECTS) {
  describe(`on ${dialect}`, () => {
    test("a push webhook runs the workflow at the pushed commit and reports back", async (t) => {
      const repo = await makeGitRepo({
        ".github/workflows/ci.yml": workflow,
        "hello.txt": "hello from the mirror\n",
      });
      const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
      const github = await startFakeGitHub({ token, repositories: ["octo-org/octo-repo"] });
      const database = await createTestDatabase(dialect);
      const server = await startServer({
        dataDir: database.options.dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        github: { baseUrl: github.url, token },
        embeddedRunnerLabels: ["ubuntu-latest"],
      });
      // Each server closes when its test ends, before the file closes the PostgreSQL it uses.
      t.after(async () => {
        await server.close();
        await github.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(server.store, {
        name: "octo-org/octo-repo",
        gitUrl: repo,
        webhookSecret: secret,
      });
      const operator = authHeaders(await createApiToken(server.store, { role: "operator" }));
      // A later commit changes the workflow; the run must use the pushed commit's version.
      execFileSync("git", ["-C", repo, "rm", "-q", ".github/workflows/ci.yml"]);
      execFileSync("git", ["-C", repo, "commit", "-q", "-m", "drop the workflow"]);

      const payload = {
        ref: "refs/heads/main",
        before: "0000000000000000000000000000000000000000",
        after: sha,
        repository: { full_name: "octo-org/octo-repo", name: "octo-repo", owner: { login: "octo-org" } },
        sender: { login: "octocat" },
      };
      const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        payload,
        secret,
      });
      assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
      const runIds = delivered.taken!.runIds;
      assert.equal(runIds.length, 1);
      await server.launcher.idle();

      const response = await fetch(`${server.url}/api/runs/${runIds[0]}`, { headers: operator });
      assert.equal(response.status, 200);
      const { run, jobs } = (await response.json()) as {
        run: { status: string; conclusion: string; sha: string; actor: string };
        jobs: { id: number; key: string; conclusion: string }[];
      };
      assert.deepEqual(
        [run.status, run.conclusion, run.sha, run.actor],
        ["completed", "success", sha, "octocat"],
      );
      // The embedded runner took both jobs from the queue; their rows and logs are in the store.
      assert.deepEqual(jobs.map((j) => [j.key, j.conclusion]).sort(), [
        ["build", "success"],
        ["test", "success"],
      ]);
      const build = jobs.find((j) => j.key === "build")!;
      const logs = (await (
        await fetch(`${server.url}/api/jobs/${build.id}/logs`, { headers: operator })
      ).json()) as {
        chunks: unknown[];
      };
      assert.ok(logs.chunks.length > 0);

      const states = github.statuses.map((s) => `${String(s.body["context"])}=${String(s.body["state"])}`);
      assert.deepEqual(states.filter((s) => s.endsWith("=success")).sort(), [
        "hangar/ci/build=success",
        "hangar/ci/test=success",
      ]);
      assert.ok(states.includes("hangar/ci/build=pending"), states.join(", "));
      assert.ok(github.statuses.every((s) => s.sha === sha && s.authorization === `token ${token}`));

      const again = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        payload,
        secret,
        deliveryId: delivered.deliveryId,
      });
      assert.equal(again.status, 200);
      assert.equal(again.body["duplicate"], true);
      // A re-run is the same run's next attempt, from the workflow at the run's commit.
      const rerun = await fetch(`${server.url}/api/runs/${runIds[0]}/rerun`, {
        method: "POST",
        headers: operator,
      });
      assert.equal(rerun.status, 202);
      assert.deepEqual(await rerun.json(), { runId: runIds[0], attempt: 2 });
      await server.launcher.idle();
      const second = (await (
        await fetch(`${server.url}/api/runs/${runIds[0]}`, { headers: operator })
      ).json()) as {
        run: { attempt: number; conclusion: string };
        jobs: { attempt: number; conclusion: string }[];
      };
      assert.deepEqual([second.run.attempt, second.run.conclusion], [2, "success"]);
      assert.deepEqual(
        second.jobs.filter((j) => j.attempt === 2).map((j) => j.conclusion),
        ["success", "success"],
      );
      const running = await fetch(`${server.url}/api/runs/999999/rerun`, {
        method: "POST",
        headers: operator,
      });
      assert.equal(running.status, 404);

      const forged = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        payload,
        secret: "wrong",
      });
      assert.equal(forged.status, 401);
      assert.equal((await listRuns(server.store)).runs.length, 1);
    });

    test("the API dispatches a workflow with typed inputs and refuses bad ones", async (t) => {
      const repo = await makeGitRepo({
        ".github/workflows/deploy.yml": `on:
  workflow_dispatch:
    inputs:
      target:
        type: choice
        options: [staging, production]
        required: true
      dry:
        type: boolean
        default: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ inputs.target }}/\${{ inputs.dry }}" = "staging/false"
`,
      });
      const database = await createTestDatabase(dialect);
      const server = await startServer({
        dataDir: database.options.dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["ubuntu-latest"],
      });
      // Each server closes when its test ends, before the file closes the PostgreSQL it uses.
      t.after(async () => {
        await server.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(server.store, { name: "octo-org/deploys", gitUrl: repo, webhookSecret: secret });
      const operator = authHeaders(await createApiToken(server.store, { user: "dana", role: "operator" }));
      const dispatch = (inputs: Record<string, string>) =>
        fetch(`${server.url}/api/dispatches`, {
          method: "POST",
          headers: { ...operator, "content-type": "application/json" },
          body: JSON.stringify({
            repository: "octo-org/deploys",
            workflow: "deploy.yml",
            ref: "main",
            inputs,
          }),
        });
      const bad = await dispatch({ target: "moon" });
      assert.equal(bad.status, 422);
      assert.match(((await bad.json()) as { message: string }).message, /moon/);
      const good = await dispatch({ target: "staging", dry: "false" });
      assert.equal(good.status, 202);
      const { runs } = (await good.json()) as { runs: number[] };
      await server.launcher.idle();
      const { run } = (await (
        await fetch(`${server.url}/api/runs/${runs[0]}`, { headers: operator })
      ).json()) as {
        run: { conclusion: string; event: string; actor: string };
      };
      // The run's actor is the token's user.
      assert.deepEqual([run.event, run.conclusion, run.actor], ["workflow_dispatch", "success", "dana"]);
    });
  });
}
