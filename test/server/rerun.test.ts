// Re-runs in hangar serve: "re-run failed jobs" keeps the jobs that succeeded (not run again, outputs kept).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startServer } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";

test("re-running failed jobs runs only the failed job and its dependents", async (t) => {
  const state = await mkdtemp(path.join(os.tmpdir(), "hangar-rerun-state-"));
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      stamp: \${{ steps.s.outputs.stamp }}
    steps:
      - id: s
        run: |
          echo built >> ${state}/builds
          echo "stamp=$(wc -l < ${state}/builds)" >> "$GITHUB_OUTPUT"
  flaky:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "\${{ needs.build.outputs.stamp }}" = 1 || exit 2
          if [ ! -e ${state}/second-try ]; then touch ${state}/second-try; exit 1; fi
`,
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-rerun-"));
  const server = await startServer({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["ubuntu-latest"],
  });
  t.after(async () => {
    await server.close();
    await Promise.all([state, repo, dataDir].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  await insertRepository(server.store, { name: "octo-org/flaky", gitUrl: repo, webhookSecret: "s" });
  const operator = authHeaders(await createApiToken(server.store, { role: "operator" }));
  const sha = (await import("node:child_process"))
    .execFileSync("git", ["-C", repo, "rev-parse", "HEAD"])
    .toString()
    .trim();
  const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
    event: "push",
    secret: "s",
    payload: { ref: "refs/heads/main", after: sha, repository: { full_name: "octo-org/flaky" } },
  });
  const runId = delivered.taken!.runIds[0]!;
  await server.launcher.idle();
  const readRun = async () =>
    (await (await fetch(`${server.url}/api/runs/${runId}`, { headers: operator })).json()) as {
      run: { attempt: number; conclusion: string };
      jobs: {
        attempt: number;
        key: string;
        conclusion: string;
        claimCount: number;
        message: string | null;
      }[];
    };
  assert.equal((await readRun()).run.conclusion, "failure");

  // 1. only flaky runs again, 2. it sees build's outputs from attempt 1, 3. build ran exactly once.
  const rerun = await fetch(`${server.url}/api/runs/${runId}/rerun?failed=true`, {
    method: "POST",
    headers: operator,
  });
  assert.equal(rerun.status, 202);
  await server.launcher.idle();
  const after = await readRun();
  assert.deepEqual([after.run.attempt, after.run.conclusion], [2, "success"]);
  // build is listed in attempt 2 as GitHub lists it, but no runner took it.
  assert.deepEqual(
    after.jobs.filter((j) => j.attempt === 2).map((j) => [j.key, j.conclusion, j.claimCount, j.message]),
    [
      ["build", "success", 0, "succeeded in the previous attempt; not run again"],
      ["flaky", "success", 1, null],
    ],
  );
  assert.equal((await readFile(path.join(state, "builds"), "utf8")).trim().split("\n").length, 1);
});
