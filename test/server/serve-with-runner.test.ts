// hangar serve without an embedded runner, and a remote `hangar runner` process: the run's job is claimed over HTTP, runs on the
// runner, and its logs, result and commit statuses come back through the server.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getRun } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { pushHead, registerRunnerIn, startServerWithRepository } from "../support/server-with-repository.js";

test("a push runs on a registered remote runner", async (t) => {
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: [self-hosted, linux]
    steps:
      - uses: actions/checkout@v4
      - run: echo "runner says $(cat hello.txt)"
`,
    "hello.txt": "hi\n",
  });
  const { server, base } = await startServerWithRepository(t, repo);
  const runnerDir = path.join(base, "runner");
  await registerRunnerIn(server, runnerDir, ["self-hosted", "linux", "x64"]);

  const runId = await pushHead(server, repo);

  // 1. the runner takes the one queued job and exits (--once), 2. the run completes on the server.
  const ran = await runHangar(["runner", "run", "--once", "--data-dir", runnerDir]);
  assert.equal(ran.code, 0, ran.stderr);
  await server.launcher.idle();
  const found = await getRun(server.store, runId);
  assert.equal(found?.run.conclusion, "success", JSON.stringify(found));
  const job = found!.jobs.find((j) => j.jobId === "build")!;
  const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
  const logs = (await (await fetch(`${server.url}/api/jobs/${job.id}/logs`, { headers: viewer })).json()) as {
    chunks: { text: string }[];
  };
  assert.match(logs.chunks.map((c) => c.text).join(""), /runner says hi/);
});
