// A built-in step stopped by a cancel is cancelled, not failed (GitHub's runner: a canceled step's conclusion is
// `cancelled`, docs "Contexts: steps context"), and a matrix leg stopped by a failing sibling (fail-fast, docs
// "Workflow syntax: jobs.<job_id>.strategy.fail-fast") carries the stop reason fail_fast.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { RunResult } from "../../src/engine/index.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";

test("fail-fast stops a leg inside setup-node's download: the step and the leg are cancelled, for fail_fast", async (t) => {
  const temp = await mkdtemp(path.join(os.tmpdir(), "hangar-cancel-built-in-"));
  const asked = path.join(temp, "mirror-asked");
  // A nodejs.org/dist mirror that never answers: setup-node is mid-download when the sibling fails.
  const sockets = new Set<Socket>();
  const mirror = http.createServer(() => void writeFile(asked, ""));
  mirror.on("connection", (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => mirror.close(resolve));
    await rm(temp, { recursive: true, force: true });
  });
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        leg: [install, fail]
    steps:
      - if: matrix.leg == 'install'
        uses: actions/setup-node@v4
        with:
          node-version: 23.1.0
      - if: matrix.leg == 'fail'
        run: |
          until [ -e "${asked}" ]; do sleep 0.05; done
          exit 1
`,
  });
  t.after(() => rm(repo, { recursive: true, force: true }));
  const { port } = mirror.address() as AddressInfo;
  const result = await runHangar([
    "run",
    repo,
    "--json",
    "--data-dir",
    path.join(temp, "data"),
    "--tool-source",
    "mirror",
    "--node-mirror",
    `http://127.0.0.1:${port}/dist`,
  ]);
  assert.ok(existsSync(asked), "setup-node reached the mirror");
  const run = JSON.parse(result.stdout) as RunResult;
  const legs = Object.fromEntries(run.jobs.map((job) => [String(job.matrix?.["leg"]), job]));
  assert.equal(legs["fail"]!.conclusion, "failure");
  assert.equal(legs["install"]!.conclusion, "cancelled");
  assert.equal(legs["install"]!.reason, "fail_fast");
  assert.deepEqual(
    legs["install"]!.steps.map((step) => step.conclusion),
    ["cancelled", "skipped"],
  );
});
