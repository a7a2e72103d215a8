// The audit trail through the real server on both stores: a push webhook's run leaves a chain that verifies, reads
// as the run's story by trace, exports as JSON Lines that re-verify on their own, and fills the seeds' SQL views.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { startServer } from "../../src/server/index.js";
import { GENESIS_HASH, hashEvent, insertRepository, type AuditEvent } from "../../src/store/index.js";
import { DIALECTS, createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";

const secret = "webhook-secret-audit";

const workflow = `name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  check:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: lint
        run: |
          echo "boom: lint found 3 problems"
          exit 1
`;

for (const dialect of DIALECTS) {
  describe(`audit trail through the server (${dialect})`, () => {
    test("a pushed run's chain verifies, reads by trace, exports and fills the views", async (t) => {
      const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
      const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
      const database = await createTestDatabase(dialect);
      const server = await startServer({
        dataDir: database.options.dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["ubuntu-latest"],
      });
      t.after(async () => {
        await server.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(server.store, { name: "octo/app", gitUrl: repo, webhookSecret: secret });
      const admin = authHeaders(await createApiToken(server.store, { role: "admin" }));
      const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
      const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        secret,
        payload: {
          ref: "refs/heads/main",
          after: sha,
          repository: { full_name: "octo/app", name: "app", owner: { login: "octo" } },
          sender: { login: "octocat" },
        },
      });
      assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
      const [runId] = delivered.taken!.runIds;
      await server.launcher.idle();

      // 1. The chain verifies (admin only).
      const refused = await fetch(`${server.url}/api/audit/verify`, { headers: viewer });
      assert.equal(refused.status, 403);
      const verified = (await (await fetch(`${server.url}/api/audit/verify`, { headers: admin })).json()) as {
        isIntact: boolean;
        count: number;
      };
      assert.equal(verified.isIntact, true, JSON.stringify(verified));

      // 2. The run's trace reads as its story, in chain order.
      const page = (await (
        await fetch(`${server.url}/api/audit/events?trace=${runId}-1&limit=1000`, { headers: viewer })
      ).json()) as { events: AuditEvent[] };
      const actions = page.events.map((event) => event.action);
      assert.equal(actions[0], "run:queued");
      assert.equal(actions.at(-1), "run:finished");
      for (const action of ["run:started", "job:queued", "job:started", "job:finished"])
        assert.ok(actions.includes(action), `${action} in ${actions.join(", ")}`);
      const seqs = page.events.map((event) => event.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.ok(page.events.every((event) => event.trace_id === `${runId}-1`));
      const finished = page.events.at(-1)!;
      assert.equal((finished.metadata as { conclusion?: string }).conclusion, "failure");

      const badFilter = await fetch(`${server.url}/api/audit/events?since=yesterday`, { headers: viewer });
      assert.equal(badFilter.status, 400);
      assert.equal(((await badFilter.json()) as { code: string }).code, "AUDIT_INVALID_FILTER");

      // 3. The export is every event as JSON Lines, and re-verifies with nothing but the documented hash.
      const exported = await fetch(`${server.url}/api/audit/export`, { headers: viewer });
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get("content-type") ?? "", /application\/x-ndjson/);
      const lines = (await exported.text()).trimEnd().split("\n");
      const events = lines.map((line) => JSON.parse(line) as AuditEvent);
      assert.equal(events.length, verified.count);
      let prev = GENESIS_HASH;
      for (const event of events) {
        assert.equal(event.prev_hash, prev);
        assert.equal(hashEvent(event), event.hash);
        prev = event.hash;
      }

      // 4. The views answer the seeds' questions.
      const history = await sql<{
        run_id: number;
        conclusion: string;
        recency: number;
        duration_seconds: number;
      }>`
        select run_id, conclusion, recency, duration_seconds from workflow_run_history_view
        where repository = 'octo/app' and workflow_file = '.github/workflows/ci.yml' and recency <= 10`.execute(
        server.store.db,
      );
      assert.equal(history.rows.length, 1);
      assert.equal(Number(history.rows[0]!.run_id), runId);
      assert.equal(history.rows[0]!.conclusion, "failure");
      assert.ok(Number(history.rows[0]!.duration_seconds) >= 0);

      const failures = await sql<{
        job_name: string;
        runner_name: string;
        failed_step: string;
        log_tail: string;
      }>`
        select job_name, runner_name, failed_step, log_tail from recent_failures_view where run_id = ${runId}`.execute(
        server.store.db,
      );
      assert.equal(failures.rows.length, 1);
      assert.equal(failures.rows[0]!.job_name, "check");
      assert.equal(failures.rows[0]!.runner_name, "embedded");
      assert.equal(failures.rows[0]!.failed_step, "lint");
      assert.match(failures.rows[0]!.log_tail, /boom: lint found 3 problems/);

      const rates = await sql<{
        completed_runs: number;
        success_rate: number;
        mean_duration_seconds: number;
      }>`
        select completed_runs, success_rate, mean_duration_seconds from workflow_success_rate_view
        where repository = 'octo/app'`.execute(server.store.db);
      assert.equal(rates.rows.length, 1);
      assert.equal(Number(rates.rows[0]!.completed_runs), 1);
      assert.equal(Number(rates.rows[0]!.success_rate), 0);
      assert.ok(Number(rates.rows[0]!.mean_duration_seconds) >= 0);
    });
  });
}
