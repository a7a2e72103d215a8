// The attack on `hangar serve`: a fork's pull request brings a workflow whose built-in actions go after the
// server's own secret key (the file that decrypts every stored secret), run by the embedded runner in the sandbox.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createSandboxExecutor } from "../../src/runner/index.js";
import { startServer } from "../../src/server/index.js";
import { getRun, insertRepository } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { makePullRequest } from "../support/pull-request.js";
import { assertCanaryNeverLeaked, attackWorkflow, plantCanaries } from "../runner/built-in-attacks.js";
import assert from "node:assert/strict";

const fullName = "octo/target";
const webhookSecret = "hook";

test(
  "a fork's pull request cannot take the server's secret key through any built-in action",
  { timeout: 900_000 },
  async (t) => {
    const base = await mkdtemp(path.join(os.tmpdir(), "hangar-fork-attack-"));
    // The sandbox's job uids pass through it to their own roots.
    await chmod(base, 0o711);
    const dataDir = path.join(base, "server");
    const server = await startServer({
      dataDir,
      host: "127.0.0.1",
      port: 0,
      embeddedRunnerLabels: ["ubuntu-latest"],
      embeddedRunnerPlacement: {
        executor: await createSandboxExecutor({ baseDir: path.join(base, "jobs") }),
      },
    });
    const canaries = await plantCanaries(path.join(dataDir, "secret-key"));
    const repo = await makeGitRepo({ "README.md": "target\n" });
    t.after(async () => {
      await server.close();
      await canaries.cleanup();
      await Promise.all([repo, base].map((dir) => rm(dir, { recursive: true, force: true })));
    });
    await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret });

    const pr = await makePullRequest(repo, {
      number: 7,
      files: {
        ".github/workflows/attack.yml": attackWorkflow(canaries).replace("on: push", "on: pull_request"),
      },
    });
    const payload = pr.payload("opened", fullName) as {
      pull_request: Record<string, Record<string, unknown>>;
    };
    payload.pull_request["head"]!["repo"] = { full_name: "mallory/target" };
    payload.pull_request["base"]!["repo"] = { full_name: fullName };
    const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
      event: "pull_request",
      secret: webhookSecret,
      payload: payload as unknown as Record<string, unknown>,
    });
    assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
    await server.launcher.idle();
    const [runId] = delivered.taken!.runIds;
    const run = (await getRun(server.store, runId!))!;
    const job = run.jobs.find((each) => each.jobId === "attack")!;
    const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
    const logs = await (await fetch(`${server.url}/api/jobs/${job.id}/logs`, { headers: viewer })).text();
    await assertCanaryNeverLeaked(canaries, { output: logs, jobOutputs: job.outputs ?? {} });
  },
);
