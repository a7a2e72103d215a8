// Access control over real HTTP on both stores: every route the server registers is walked, and each API route
// refuses every role it does not grant (403) and every missing, unknown, expired, revoked or runner token (401);
// runner routes refuse API tokens, the webhook route needs its HMAC only, and a route without a declared access
// stops the server from starting.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import {
  accessControlErrors,
  accessControlPlugin,
  canApprove,
  type Principal,
} from "../../src/server/auth/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import {
  API_TOKEN_ROLES,
  createApiToken as createStoredApiToken,
  insertRepository,
  mintRegistrationToken,
  registerRunner,
  revokeApiToken,
  type ApiTokenRole,
} from "../../src/store/index.js";
import { createTestDatabase, DIALECTS, insertTestRun } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";

/** The roles, stated here apart from roles.ts: viewer reads; operator dispatches, re-runs, cancels; approver
 * is a viewer that approves; admin does everything. */
const MAY_CALL: Record<ApiTokenRole, readonly ApiTokenRole[]> = {
  viewer: ["viewer", "operator", "approver", "admin"],
  operator: ["operator", "admin"],
  approver: ["approver", "admin"],
  admin: ["admin"],
};

interface Answer {
  status: number;
  code: string | undefined;
}

/** Fills a route's params with values that match nothing, so a granted request changes nothing. */
function concretePath(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => (/digest/i.test(name) ? "a".repeat(64) : "999999"));
}

async function call(
  server: RunningServer,
  method: string,
  path: string,
  init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(init.token ? authHeaders(init.token) : {}),
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    // A granted request to a streaming route may never end; only its status matters here.
    signal: AbortSignal.timeout(30_000),
  });
  const text = method === "HEAD" ? "" : await readStart(response);
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

/** The body, or its first chunk for a stream (a live log stream stays open). */
async function readStart(response: Response): Promise<string> {
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    await response.body?.cancel();
    return "";
  }
  return response.text();
}

async function startTestServer(
  dialect: (typeof DIALECTS)[number],
  t: { after(fn: () => Promise<void>): void },
) {
  const database = await createTestDatabase(dialect);
  const server = await startServer({
    dataDir: database.options.dataDir,
    databaseUrl: database.options.url,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: [],
  });
  t.after(() => server.close());
  return server;
}

for (const dialect of DIALECTS) {
  describe(`access control (${dialect})`, () => {
    test("every API route refuses the roles it does not grant and every token that is not a live API token", async (t) => {
      const server = await startTestServer(dialect, t);
      const tokens = Object.fromEntries(
        await Promise.all(
          API_TOKEN_ROLES.map(async (role) => [role, await createApiToken(server.store, { role })] as const),
        ),
      ) as Record<ApiTokenRole, string>;
      const expired = await createApiToken(server.store, {
        expires: { at: new Date("2001-01-01T00:00:00Z") },
      });
      const revokedToken = await createStoredApiToken(server.store, {
        user: "gone",
        role: "admin",
        actor: "test",
      });
      await revokeApiToken(server.store, { id: revokedToken.record.id, actor: "test" });
      const { token: registration } = await mintRegistrationToken(server.store);
      const runner = await registerRunner(server.store, {
        registrationToken: registration,
        name: "r1",
        labels: ["x"],
      });
      assert.ok(runner);
      const refusedTokens: Record<string, string | undefined> = {
        none: undefined,
        unknown: "hga_not-a-token-anyone-was-given",
        expired,
        revoked: revokedToken.token,
        "runner token": runner.runnerToken,
      };

      const routes = server.app.registeredRoutes;
      const apiRoutes = routes.flatMap((route) =>
        "role" in route.access ? [{ ...route, role: route.access.role }] : [],
      );
      // The core routes keep the roles the issue gives them (other helpers' routes are walked all the same).
      const roleOf = (method: string, url: string) =>
        apiRoutes.find((r) => r.method === method && r.url === url)?.role;
      assert.equal(roleOf("GET", "/api/runs"), "viewer");
      assert.equal(roleOf("GET", "/api/artifacts/:id/zip"), "viewer");
      assert.equal(roleOf("GET", "/api/jobs/:id/logs/stream"), "viewer");
      assert.equal(roleOf("POST", "/api/dispatches"), "operator");
      assert.equal(roleOf("POST", "/api/runs/:id/rerun"), "operator");
      assert.equal(roleOf("POST", "/api/runs/:id/cancel"), "operator");
      // The rules for the routes of the other parts: approving needs approver; changing secrets, variables
      // or environments needs admin.
      assert.equal(roleOf("POST", "/api/runs/:id/approvals"), "approver");
      const changes = apiRoutes.filter(
        (r) =>
          r.method !== "GET" && r.method !== "HEAD" && /\/(secrets|variables|environments)\b/.test(r.url),
      );
      assert.ok(changes.length >= 3, changes.map((r) => r.url).join(", "));
      for (const route of changes) assert.equal(route.role, "admin", `${route.method} ${route.url}`);

      for (const route of apiRoutes) {
        const path = concretePath(route.url);
        const where = `${route.method} ${route.url} (needs ${route.role})`;
        for (const [name, token] of Object.entries(refusedTokens)) {
          const answer = await call(server, route.method, path, token === undefined ? {} : { token });
          assert.equal(answer.status, 401, `${where} with ${name}`);
          if (route.method !== "HEAD")
            assert.equal(
              answer.code,
              token === undefined ? "AUTH_TOKEN_MISSING" : "AUTH_TOKEN_INVALID",
              where,
            );
        }
        for (const role of API_TOKEN_ROLES) {
          const answer = await call(server, route.method, path, { token: tokens[role] });
          if (MAY_CALL[route.role].includes(role)) {
            assert.notEqual(answer.status, 401, `${where} as ${role}`);
            assert.ok(!(answer.code ?? "").startsWith("AUTH_"), `${where} as ${role}: ${answer.code}`);
          } else {
            assert.equal(answer.status, 403, `${where} as ${role}`);
            if (route.method !== "HEAD") assert.equal(answer.code, "AUTH_ROLE_INSUFFICIENT", where);
          }
        }
      }

      // Runner routes take the runner's token only: every API token is refused, the runner token is not.
      const runnerRoutes = routes.filter((route) => "auth" in route.access && route.access.auth === "runner");
      assert.ok(runnerRoutes.some((route) => route.url === "/api/runners/claim"));
      for (const route of runnerRoutes) {
        const where = `${route.method} ${route.url}`;
        const isRegister = route.url === "/api/runners/register";
        for (const role of API_TOKEN_ROLES) {
          const answer = await call(server, route.method, concretePath(route.url), {
            token: tokens[role],
            ...(isRegister ? { body: { token: tokens[role], name: "intruder", labels: ["x"] } } : {}),
          });
          assert.equal(answer.status, 401, `${where} as ${role}`);
          if (route.method !== "HEAD")
            assert.equal(
              answer.code,
              isRegister ? "RUNNER_REGISTRATION_INVALID" : "RUNNER_TOKEN_INVALID",
              where,
            );
        }
      }
      // ... while the runner's own token gets past them (to the job lookup: there is no such job).
      assert.deepEqual(
        await call(server, "POST", "/api/jobs/999999/heartbeat", { token: runner.runnerToken }),
        {
          status: 404,
          code: "RUNNER_JOB_NOT_FOUND",
        },
      );

      // Public routes answer without a token.
      const publicRoutes = routes.filter((route) => "auth" in route.access && route.access.auth === "public");
      assert.deepEqual(
        publicRoutes
          .filter((route) => route.method === "GET")
          .map((route) => route.url)
          .sort(),
        ["/api/openapi.json", "/healthz", "/readyz"],
      );
      for (const route of publicRoutes)
        assert.equal((await call(server, route.method, route.url)).status, 200);

      // Every route is declared; none is missing from the walk (the OpenAPI description lists what fastify serves).
      const openapi = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const walked = new Set(routes.map((route) => `${route.method} ${route.url}`));
      for (const [path, methods] of Object.entries(openapi.paths)) {
        for (const method of Object.keys(methods)) {
          const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`;
          assert.ok(
            walked.has(route),
            `${route} is in the OpenAPI description but not in the access registry`,
          );
        }
      }
    });

    test("the webhook route needs its HMAC only: an admin API token does not stand in for it", async (t) => {
      const server = await startTestServer(dialect, t);
      await insertRepository(server.store, { name: "octo/app", gitUrl: "/nowhere", webhookSecret: "s3cret" });
      const admin = await createApiToken(server.store, { role: "admin" });
      const answer = await call(server, "POST", "/webhooks/github", {
        token: admin,
        body: { repository: { full_name: "octo/app" } },
        headers: { "x-github-event": "push", "x-github-delivery": "d-1" },
      });
      assert.deepEqual(answer, { status: 401, code: "WEBHOOK_SIGNATURE_INVALID" });
    });

    test("a request acts as its token's user: a cancel records the operator as its actor", async (t) => {
      const server = await startTestServer(dialect, t);
      const repository = await insertRepository(server.store, { name: "octo/app", gitUrl: "/nowhere" });
      const { run } = await insertTestRun(server.store, repository.id);
      const operator = await createApiToken(server.store, { user: "bob", role: "operator" });
      assert.equal(
        (await call(server, "POST", `/api/runs/${run.id}/cancel`, { token: operator })).status,
        202,
      );
      const event = await server.store.db
        .selectFrom("events")
        .select("actor")
        .where("action", "=", "run:cancel-requested")
        .where("resource_id", "=", String(run.id))
        .executeTakeFirstOrThrow();
      assert.equal(event.actor, "bob");
    });
  });
}

describe("declaring access", () => {
  test("a route without a declaration, or with an unknown role, stops the server from starting", async () => {
    const declarations: [Record<string, unknown> | undefined, RegExp][] = [
      [undefined, /route GET \/api\/things declares no access/],
      [{ role: "superuser" }, /config\.role "superuser" is not one of/],
      [{ auth: "cookie" }, /config\.auth "cookie" is not one of/],
      [{ role: "viewer", auth: "public" }, /declares both/],
    ];
    for (const [config, message] of declarations) {
      const app = Fastify();
      await app.register(accessControlPlugin, { store: undefined as never });
      // As startServer registers its route plugins.
      const start = async () => {
        await app.register(async (scope) => {
          scope.get("/api/things", config ? { config } : {}, async () => ({ ok: true }));
        });
        await app.ready();
      };
      await assert.rejects(start, { message });
      await app.close().catch(() => undefined);
    }
  });

  test("the 401 and 403 codes are stable", () => {
    assert.deepEqual(Object.keys(accessControlErrors).sort(), [
      "AUTH_ROLE_INSUFFICIENT",
      "AUTH_TOKEN_INVALID",
      "AUTH_TOKEN_MISSING",
    ]);
  });
});

describe("approving", () => {
  const principal = (role: ApiTokenRole, environments: string[] = []): Principal => ({
    user: "u",
    role,
    environments,
    tokenId: 1,
  });

  test("an approver approves only its environments (any case), '*' everywhere; admin everywhere; others never", () => {
    const cases: [Principal, string, boolean][] = [
      [principal("approver", ["production"]), "production", true],
      [principal("approver", ["production"]), "Production", true],
      [principal("approver", ["production"]), "staging", false],
      [principal("approver", ["*"]), "anything", true],
      [principal("admin"), "production", true],
      [principal("operator"), "production", false],
      [principal("viewer", ["production"]), "production", false],
    ];
    for (const [who, environment, expected] of cases)
      assert.equal(
        canApprove(who, environment),
        expected,
        `${who.role} ${who.environments.join(",")} ${environment}`,
      );
  });
});
