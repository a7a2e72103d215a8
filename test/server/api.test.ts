// The JSON API on both stores, against a real server fed by a signed push webhook of a real git repository: a run's
// jobs with their steps and why each waits (needs, no runner with the labels, every such runner busy), runners,
// repositories, deliveries, health, and the OpenAPI description that covers every route and the responses' shapes.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";
import { makeGitRepo } from "../support/git-repo.js";
import { deliverWebhook } from "../support/deliveries.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { registerHttpRunner } from "../support/http-runner.js";

const secret = "webhook-secret-api-7f3a";

const workflow = `name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
      - name: second
        run: echo two
  deploy:
    needs: build
    strategy:
      matrix:
        region: [eu, us]
    runs-on: [self-hosted, GPU]
    steps:
      - run: echo deploy
  report:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: echo report
`;

type Json = Record<string, unknown>;
interface ApiJob {
  id: number;
  key: string;
  status: string;
  conclusion: string | null;
  steps: { number: number; name: string; status: string; conclusion: string | null }[];
  waiting: { reason: string; labels?: string[]; runners?: string[] } | null;
}
interface ApiRun {
  run: { status: string; conclusion: string | null };
  jobs: ApiJob[];
  waitingJobs: { key: string; waiting: { reason: string; needs?: string[] } }[];
}

/** Each server's admin API token (the API refuses requests without one). */
const apiTokens = new WeakMap<RunningServer, string>();

async function getJson(server: RunningServer, path: string, status = 200): Promise<Json> {
  const response = await fetch(`${server.url}${path}`, { headers: authHeaders(apiTokens.get(server)!) });
  const body = (await response.json()) as Json;
  assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
  return body;
}

/** Reads `path` until `isDone` holds for its body (the run advances on its own; bounded, no timing asserted). */
async function readUntil(
  server: RunningServer,
  path: string,
  isDone: (body: ApiRun) => boolean,
): Promise<ApiRun> {
  for (let attempt = 0; attempt < 1_200; attempt++) {
    const body = (await getJson(server, path)) as unknown as ApiRun;
    if (isDone(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`${path} never reached the expected state`);
}

/** Every route fastify has, as `METHOD /path/{param}` (HEAD routes fastify adds itself are left out). */
function registeredRoutes(server: RunningServer): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of server.app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^((?:[│ ] {3}|[├└]── )*?)(?:[├└]── )(\S+) \(([^)]*)\)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    prefixes.length = depth;
    const path = prefixes.join("") + match[2]!;
    prefixes.push(match[2]!);
    for (const method of match[3]!.split(", ").filter((m) => m !== "HEAD")) {
      routes.push(`${method} ${path.replace(/:(\w+)/g, "{$1}")}`);
    }
  }
  return routes.sort();
}

/** Validates `value` against a JSON schema with fastify's own validator, without type coercion. */
async function schemaErrors(schema: unknown, value: unknown): Promise<string | undefined> {
  const checker = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
  checker.post("/", { schema: { body: schema as object } }, async () => ({}));
  const response = await checker.inject({ method: "POST", url: "/", payload: value as object });
  await checker.close();
  return response.statusCode === 200 ? undefined : response.body;
}

function responseSchema(document: Json, method: string, path: string, status = "200"): unknown {
  const paths = document["paths"] as Record<string, Record<string, Json>>;
  const responses = paths[path]?.[method]?.["responses"] as Record<string, Json> | undefined;
  const content = responses?.[status]?.["content"] as Record<string, { schema: unknown }> | undefined;
  assert.ok(content?.["application/json"], `${method} ${path} documents a ${status} JSON response`);
  return content["application/json"].schema;
}

for (const dialect of DIALECTS) {
  describe(`API (${dialect})`, () => {
    test("runs, jobs, steps, waits, runners, repositories, deliveries, health and the OpenAPI document", async (t) => {
      const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
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
      apiTokens.set(server, await createApiToken(server.store));
      await insertRepository(server.store, { name: "octo-org/app", gitUrl: repo, webhookSecret: secret });
      const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
        event: "push",
        secret,
        payload: {
          ref: "refs/heads/main",
          repository: { full_name: "octo-org/app", name: "app", owner: { login: "octo-org" } },
          sender: { login: "octocat" },
        },
      });
      assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
      const runId = delivered.taken!.runIds[0]!;
      const runPath = `/api/runs/${runId}`;
      const responses: Record<string, unknown> = {};

      // 1. build ran on the embedded runner; both deploy instances are queued for labels no online runner has,
      // and report waits for deploy.
      const queued = await readUntil(
        server,
        runPath,
        (body) => body.jobs.filter((j) => j.key.startsWith("deploy") && j.status === "queued").length === 2,
      );
      responses["GET /api/runs/{id}"] = queued;
      const build = queued.jobs.find((j) => j.key === "build")!;
      assert.equal(build.conclusion, "success");
      assert.deepEqual(
        build.steps.map((s) => s.number),
        build.steps.map((_, i) => i + 1),
      );
      assert.ok(
        build.steps.some((s) => s.name === "second"),
        JSON.stringify(build.steps),
      );
      assert.ok(build.steps.every((s) => s.status === "completed" && s.conclusion === "success"));
      for (const deploy of queued.jobs.filter((j) => j.key.startsWith("deploy"))) {
        assert.deepEqual(
          [deploy.waiting?.reason, deploy.waiting?.labels],
          ["no_runner", ["gpu", "self-hosted"]],
        );
      }
      assert.deepEqual(
        queued.waitingJobs.map((w) => [w.key, w.waiting.reason, w.waiting.needs]),
        [["report", "needs", ["deploy"]]],
      );
      const deployEu = queued.jobs.find((j) => j.key === "deploy (eu)")!;
      const job = await getJson(server, `/api/jobs/${deployEu.id}`);
      responses["GET /api/jobs/{id}"] = job;
      assert.equal((job["job"] as ApiJob).waiting?.reason, "no_runner");

      // 2. a GPU runner takes one instance: the other now waits because every matching runner is busy.
      const gpu = await registerHttpRunner(server, "gpu-1", ["gpu", "self-hosted"]);
      const first = await gpu.claim();
      const other = queued.jobs.find((j) => j.key.startsWith("deploy") && j.id !== first)!;
      const busy = (await getJson(server, `/api/jobs/${other.id}`))["job"] as ApiJob;
      assert.deepEqual([busy.waiting?.reason, busy.waiting?.runners], ["runners_busy", ["gpu-1"]]);
      const runners = await getJson(server, "/api/runners");
      responses["GET /api/runners"] = runners;
      assert.deepEqual(
        (runners["runners"] as Json[]).map((r) => [r["name"], r["status"], r["busyJobId"]]),
        [
          ["gpu-1", "online", first],
          ["embedded", "online", null],
        ],
      );
      await gpu.complete(first);
      await gpu.complete(await gpu.claim());

      // 3. report ran after deploy; nothing waits any more.
      await server.launcher.idle();
      const done = (await getJson(server, runPath)) as unknown as ApiRun;
      assert.deepEqual([done.run.status, done.run.conclusion], ["completed", "success"]);
      assert.deepEqual(done.waitingJobs, []);
      assert.ok(done.jobs.every((j) => j.waiting === null));

      const repositories = await getJson(server, "/api/repositories");
      responses["GET /api/repositories"] = repositories;
      assert.deepEqual(repositories["repositories"], [
        {
          ...(repositories["repositories"] as Json[])[0],
          name: "octo-org/app",
          hasWebhookSecret: true,
        },
      ]);
      assert.ok(!JSON.stringify(repositories).includes(secret));
      const deliveries = await getJson(server, "/api/deliveries?event=push");
      responses["GET /api/deliveries"] = deliveries;
      assert.deepEqual(
        (deliveries["deliveries"] as Json[]).map((d) => [d["deliveryId"], d["runIds"]]),
        [[delivered.deliveryId, [runId]]],
      );
      responses["GET /api/runs"] = await getJson(server, "/api/runs?limit=1");

      // Errors have one shape and name the field.
      const missing = await getJson(server, "/api/jobs/99999", 404);
      assert.deepEqual(Object.keys(missing).sort(), ["code", "message", "statusCode"]);
      const bad = await getJson(server, "/api/runners?limit=0", 400);
      assert.match(String(bad["message"]), /limit/);

      // Health: alive, and ready only while the schema is this code's.
      assert.deepEqual(await getJson(server, "/healthz"), { status: "ok" });
      assert.equal((await getJson(server, "/readyz"))["status"], "ready");
      await server.store.db
        .insertInto("hangar_migrations")
        .values({ version: 9_999, name: "from-the-future" })
        .execute();
      const notReady = await getJson(server, "/readyz", 503);
      assert.equal(notReady["code"], "NOT_READY_SCHEMA");
      await server.store.db.deleteFrom("hangar_migrations").where("version", "=", 9_999).execute();
      assert.equal((await getJson(server, "/readyz"))["status"], "ready");

      // The OpenAPI document lists every route fastify serves, and real responses match their documented schemas.
      const document = await getJson(server, "/api/openapi.json");
      const documented = Object.entries(document["paths"] as Record<string, Json>).flatMap(
        ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const routes = registeredRoutes(server);
      for (const route of [
        "POST /webhooks/github",
        "POST /api/runners/claim",
        "GET /healthz",
        "GET /api/jobs/{id}/logs/stream",
      ]) {
        assert.ok(routes.includes(route), `the route walk finds ${route}`);
      }
      assert.deepEqual(documented.sort(), routes);
      for (const [route, body] of Object.entries(responses)) {
        const [method, path] = route.split(" ") as [string, string];
        assert.equal(
          await schemaErrors(responseSchema(document, method.toLowerCase(), path), body),
          undefined,
          route,
        );
      }
      // The check can fail: a response missing a required field does not pass.
      const runsSchema = responseSchema(document, "get", "/api/runs");
      assert.ok(await schemaErrors(runsSchema, { nextCursor: 1 }));
      const errorSchema = responseSchema(document, "get", "/api/jobs/{id}", "4XX");
      assert.equal(await schemaErrors(errorSchema, missing), undefined);
    });
  });
}
