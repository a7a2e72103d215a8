// GET /metrics: Prometheus' text format behind an API token; the gauges come from the store (two replicas on one
// PostgreSQL answer the same), the histograms from what the answering server saw.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { describe, test } from "node:test";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { getRun, insertRepository } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { webhookRuns } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { waitFor } from "../support/hangar-process.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";

const secret = "s";
// `build` runs on the embedded runner; `gpu` waits for a runner nobody has, so a job stays queued.
const workflow = `on: push
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo built
  gpu:
    needs: build
    runs-on: [self-hosted, gpu]
    steps:
      - run: echo never
`;

/** `name{labels} value` lines of the text format, by series. */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(server: RunningServer, token: string): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`, { headers: authHeaders(token) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

/** The series read from the store, which every replica must report alike. */
function storeSeries(series: Map<string, number>): [string, number][] {
  const fromStore = /^hangar_(jobs|jobs_waiting|runs|deliveries|runners|jobs_completed_total)\{/;
  return [...series].filter(([name]) => fromStore.test(name)).sort();
}

for (const dialect of DIALECTS) {
  describe(`GET /metrics (${dialect})`, () => {
    test("reports jobs, runs, runners and deliveries from the store, and latency histograms", async (t) => {
      const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
      const database = await createTestDatabase(dialect);
      const server: RunningServer = await startServer({
        dataDir: database.options.dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["self-hosted"],
      });
      const runIds: number[] = [];
      const operator = await createApiToken(server.store, { role: "operator" });
      t.after(async () => {
        // A run with a job no runner can take would hold close() up: it ends cancelled.
        if (runId !== undefined) {
          await fetch(`${server.url}/api/runs/${runId}/cancel`, {
            method: "POST",
            headers: authHeaders(operator),
          });
        }
        await server.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(server.store, {
        name: "octo-org/octo-repo",
        gitUrl: repo,
        webhookSecret: secret,
      });
      const viewer = await createApiToken(server.store, { role: "viewer" });
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);

      const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
      runIds.push(
        ...(await webhookRuns(server.store, `${server.url}/webhooks/github`, {
          event: "push",
          secret,
          payload: { ref: "refs/heads/main", after: sha, repository: { full_name: "octo-org/octo-repo" } },
        })),
      );
      const runId = runIds[0]!;
      await waitFor("the gpu job to be queued", async () => {
        const jobs = (await getRun(server.store, runId))?.jobs ?? [];
        return jobs.some((job) => job.key === "gpu" && job.status === "queued") || undefined;
      });

      const series = await scrape(server, viewer);
      const expected: [string, number][] = [
        ['hangar_jobs{status="queued"}', 1],
        ['hangar_jobs{status="in_progress"}', 0],
        ['hangar_jobs_completed_total{conclusion="success"}', 1],
        ['hangar_runs{status="in_progress"}', 1],
        ['hangar_deliveries{status="handled"}', 1],
        ['hangar_deliveries{status="queued"}', 0],
        ['hangar_deliveries{status="failed"}', 0],
        ['hangar_runners{state="idle"}', 1],
        ['hangar_runners{state="offline"}', 0],
        ['hangar_webhook_answer_seconds_count{code="202"}', 1],
        ['hangar_webhook_to_runs_seconds_count{event="push"}', 1],
        ["hangar_job_queue_seconds_count", 1],
        ['hangar_job_duration_seconds_count{conclusion="success"}', 1],
      ];
      assert.deepEqual(
        expected.map(([name]) => [name, series.get(name)]),
        expected,
      );
      assert.ok(series.get("hangar_oldest_queued_job_age_seconds")! >= 0);
      assert.ok(
        series.has("hangar_process_resident_memory_bytes"),
        "the process's own metrics are there too",
      );

      if (dialect === "postgres") {
        const replica = await startServer({
          dataDir: `${database.options.dataDir}-replica`,
          databaseUrl: database.options.url,
          host: "127.0.0.1",
          port: 0,
          embeddedRunnerLabels: [],
        });
        try {
          assert.deepEqual(
            storeSeries(await scrape(replica, viewer)),
            storeSeries(await scrape(server, viewer)),
          );
        } finally {
          await replica.close();
        }
      }

      const cancelled = await fetch(`${server.url}/api/runs/${runId}/cancel`, {
        method: "POST",
        headers: authHeaders(operator),
      });
      assert.equal(cancelled.status, 202);
      await server.launcher.idle();
      const after = await scrape(server, viewer);
      assert.equal(after.get('hangar_jobs{status="queued"}'), 0);
      assert.equal(after.get("hangar_oldest_queued_job_age_seconds"), 0);
    });
  });
}
