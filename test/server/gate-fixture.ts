// A server with one repository whose workflow deploys to environments, for the approval tests: push as a user,
// wait until a job waits at its gate, decide through the API, read the run's events.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import type { TestContext } from "node:test";
import { startServer, type RunningServer, type ServerConfig } from "../../src/server/index.js";
import { insertRepository, type Dialect, type Repository } from "../../src/store/index.js";
import { authHeaders, createApiToken, type TestApiTokenOptions } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { createTestDatabase } from "../store/test-stores.js";

export const webhookSecret = "gate-hook";

export interface GateFixture {
  server: RunningServer;
  repository: Repository;
  repo: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Auth headers of a fresh token. */
  token(options: TestApiTokenOptions): Promise<Record<string, string>>;
  /** Pushes HEAD of `branch` as `sender`; returns the run ids. */
  push(sender: string, branch?: string): Promise<number[]>;
  api(
    path: string,
    init?: { method?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<{
    status: number;
    body: Record<string, unknown>;
  }>;
  /** Resolves once the run has a job waiting at a gate (polls the API: the wait is what the test waits on). */
  waitForPendingGate(runId: number, headers: Record<string, string>): Promise<PendingGateView[]>;
  /** The server's runs all finished; fails with what is still open instead of waiting forever. */
  idle(): Promise<void>;
}

// A gate that never opens must fail the test with the state it is stuck in, not hang the suite.
const settleDeadlineMs = 90_000;

export interface PendingGateView {
  key: string;
  jobId: string;
  environment: string;
  waitingFor: string[];
  since: string;
}

export async function startGateFixture(
  t: TestContext,
  dialect: Dialect,
  files: Record<string, string>,
  config: Partial<ServerConfig> = {},
): Promise<GateFixture> {
  const repo = await makeGitRepo(files);
  const database = await createTestDatabase(dialect);
  const server = await startServer({
    dataDir: database.options.dataDir,
    databaseUrl: database.options.url,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["self-hosted"],
    ...config,
  });
  t.after(async () => {
    await server.close();
    await rm(repo, { recursive: true, force: true });
  });
  const repository = await insertRepository(server.store, {
    name: "octo/deploy",
    gitUrl: repo,
    webhookSecret,
  });
  const api: GateFixture["api"] = async (path, init = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? "GET",
      headers: {
        ...init.headers,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  // What a stuck test reports: the runs not completed, their jobs and what those wait for.
  const openState = async () => {
    const db = server.store.db;
    const runs = await db
      .selectFrom("runs")
      .select(["id", "status"])
      .where("status", "!=", "completed")
      .execute();
    const runIds = runs.map((run) => run.id);
    if (runIds.length === 0) return "no open runs";
    const jobs = await db
      .selectFrom("jobs")
      .select(["run_id", "job_key", "status", "conclusion"])
      .where("run_id", "in", runIds)
      .execute();
    const waits = await db.selectFrom("job_waits").selectAll().where("run_id", "in", runIds).execute();
    return JSON.stringify({ runs, jobs, waits });
  };
  return {
    server,
    repository,
    repo,
    dataDir: database.options.dataDir,
    databaseUrl: database.options.url,
    token: async (options) => authHeaders(await createApiToken(server.store, options)),
    async push(sender, branch = "main") {
      const sha = execFileSync("git", ["-C", repo, "rev-parse", branch]).toString().trim();
      const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        secret: webhookSecret,
        payload: {
          ref: `refs/heads/${branch}`,
          before: "0".repeat(40),
          after: sha,
          repository: { full_name: repository.name },
          sender: { login: sender },
        },
      });
      assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
      return delivered.taken!.runIds;
    },
    api,
    async waitForPendingGate(runId, headers) {
      const deadline = Date.now() + settleDeadlineMs;
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(`run ${runId} never waited at a gate: ${await openState()}`);
        const { body } = await api(`/api/runs/${runId}/approvals`, { headers });
        const pending = body["pending"] as PendingGateView[] | undefined;
        if (pending && pending.length > 0) return pending;
        const run = (await api(`/api/runs/${runId}`, { headers })).body["run"] as
          { status: string } | undefined;
        assert.notEqual(run?.status, "completed", `run ${runId} completed without waiting at a gate`);

        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async idle() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"late">(
        (resolve) => (timer = setTimeout(() => resolve("late"), settleDeadlineMs)),
      );
      try {
        const settled = await Promise.race([server.launcher.idle(), deadline]);
        if (settled === "late")
          throw new Error(`runs still open after ${settleDeadlineMs} ms: ${await openState()}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface EventRow {
  id: number;
  action: string;
  actor: string | null;
  resource_type: string;
  resource_id: string;
  payload: Record<string, unknown>;
}

/** The events about one run (its run, jobs, approvals and deployments), in the order they were recorded. */
export async function runEvents(server: RunningServer, runId: number): Promise<EventRow[]> {
  const rows = await server.store.db
    .selectFrom("events")
    .select(["id", "action", "actor", "resource_type", "resource_id", "payload"])
    .orderBy("id")
    .execute();
  // The delivery that started the run opens its story.
  const deliveries = await server.store.db
    .selectFrom("webhook_deliveries")
    .select(["delivery_id", "run_ids"])
    .execute();
  const deliveryId = deliveries.find((delivery) =>
    (JSON.parse(String(delivery.run_ids)) as number[]).includes(runId),
  )?.delivery_id;
  return rows
    .map((row) => ({
      ...row,
      id: Number(row.id),
      payload: (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >,
    }))
    .filter(
      (row) =>
        (row.resource_type === "run" && row.resource_id === String(runId)) ||
        (deliveryId !== undefined && row.payload["deliveryId"] === deliveryId) ||
        row.payload["runId"] === runId ||
        (Array.isArray(row.payload["runs"]) && (row.payload["runs"] as unknown[]).includes(runId)),
    );
}
