// hangar serve with a remote `hangar runner`: an action missing from the runner's store is fetched by the runner on
// first use from the GitHub the server names (a real git http-backend on loopback); --offline on the server stops it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { listActions } from "../../src/runner/index.js";
import { getRun } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { testdataActions } from "../actions/action-fixture.js";
import { makeGitRepo } from "../support/git-repo.js";
import { startGitHttpServer } from "../support/git-http-server.js";
import { runHangar } from "../support/hangar-cli.js";
import { pushHead, registerRunnerIn, startServerWithRepository } from "../support/server-with-repository.js";

async function runOnRemoteRunner(t: { after(fn: () => Promise<void>): void }, offline: boolean) {
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "hangar-git-http-"));
  const github = await startGitHttpServer({ root: gitRoot });
  t.after(async () => {
    await github.close();
    await rm(gitRoot, { recursive: true, force: true });
  });
  const action = await makeGitRepo({}, path.join(testdataActions, "pre-post"));
  execFileSync("git", ["-C", action, "tag", "v1"]);
  await github.publish("octo-org/pre-post", action);
  await rm(action, { recursive: true, force: true });

  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  use:
    runs-on: [self-hosted, linux]
    steps:
      - uses: octo-org/pre-post@v1
`,
  });
  const { server, base } = await startServerWithRepository(t, repo, {
    actionSource: { githubUrl: github.url, offline },
  });
  const runnerDir = path.join(base, "runner");
  await registerRunnerIn(server, runnerDir);
  const runId = await pushHead(server, repo);
  const ran = await runHangar(["runner", "run", "--once", "--data-dir", runnerDir]);
  await server.launcher.idle();
  const found = await getRun(server.store, runId);
  const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
  const job = found!.jobs.find((j) => j.jobId === "use")!;
  const shown = await (await fetch(`${server.url}/api/jobs/${job.id}`, { headers: viewer })).text();
  return { ran, found, shown, runnerDir, github };
}

test("a remote runner fetches an action missing from its store from the server's GitHub", async (t) => {
  const { ran, found, runnerDir, github } = await runOnRemoteRunner(t, false);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(found?.run.conclusion, "success", JSON.stringify(found));
  assert.deepEqual(
    (await listActions(runnerDir)).map((a) => [a.owner, a.repo, a.ref === "v1" ? a.ref : "sha"]),
    [
      ["octo-org", "pre-post", "sha"],
      ["octo-org", "pre-post", "v1"],
    ],
  );
  assert.ok(github.requestsFor("octo-org/pre-post").length > 0);
});

test("hangar serve --offline: the runner fetches nothing and the step fails", async (t) => {
  const { ran, found, shown, runnerDir, github } = await runOnRemoteRunner(t, true);
  assert.equal(ran.code, 1, "the runner's one job failed");
  assert.equal(found?.run.conclusion, "failure");
  // The step's message is not kept by the server yet (issue 13, section 5): only its outcome.
  assert.match(shown, /"name":"Run octo-org\/pre-post@v1","status":"completed","outcome":"failure"/);
  assert.deepEqual(await listActions(runnerDir), []);
  assert.equal(github.requests.length, 0);
});
