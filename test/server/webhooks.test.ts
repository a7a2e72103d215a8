// Tests the GitHub webhook plugin through fastify.inject and through a real server on loopback.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { signPayload } from "../../src/integrations/github/index.js";
import {
  webhookPlugin,
  type WebhookEvent,
  type WebhookPluginOptions,
} from "../../src/server/webhooks/index.js";
import { sendWebhook } from "../support/fake-github.js";

const secret = "webhook-secret";
const repository = { full_name: "octo-org/octo-repo" };
const pushPayload = { ref: "refs/heads/main", after: "b".repeat(40), repository };

/** What the store would do behind the plugin's injected functions, kept in memory. */
function makeHandlers(options: { failToEnqueue?: boolean } = {}) {
  const events: WebhookEvent[] = [];
  const lookups: string[] = [];
  const handlers: Omit<WebhookPluginOptions, "bodyLimit"> = {
    lookupRepository: async (fullName) => {
      lookups.push(fullName);
      return fullName === "octo-org/octo-repo" ? { id: 1, secret } : undefined;
    },
    enqueue: async (event) => {
      if (options.failToEnqueue) throw new Error("database is down at /var/lib/secret-path");
      if (events.some((queued) => queued.deliveryId === event.deliveryId)) return "duplicate";
      events.push(event);
      return "queued";
    },
  };
  return { handlers, events, lookups };
}

async function makeApp(handlers: Omit<WebhookPluginOptions, "bodyLimit">, bodyLimit?: number) {
  const app = Fastify();
  await app.register(webhookPlugin, { ...handlers, ...(bodyLimit === undefined ? {} : { bodyLimit }) });
  // A sibling route outside the plugin's scope: it must keep fastify's normal JSON parsing.
  app.post("/echo", async (request) => ({ body: request.body }));
  return app;
}

function injectDelivery(
  app: FastifyInstance,
  options: {
    event: string;
    payload?: unknown;
    body?: string;
    signature?: string | null;
    deliveryId?: string;
    contentType?: string;
  },
) {
  const body = options.body ?? JSON.stringify(options.payload);
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/json",
    "x-github-event": options.event,
    "x-github-delivery": options.deliveryId ?? "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  };
  const signature =
    options.signature === undefined ? signPayload(secret, Buffer.from(body)) : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return app.inject({ method: "POST", url: "/webhooks/github", headers, payload: body });
}

describe("through fastify.inject", () => {
  test("ping answers 200 and records nothing", async () => {
    const { handlers, events } = makeHandlers();
    const app = await makeApp(handlers);
    const response = await injectDelivery(app, {
      event: "ping",
      payload: { zen: "Keep it simple.", hook_id: 1, repository },
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { ok: true });
    assert.equal(events.length, 0);
    await app.close();
  });

  test("a new delivery is queued with the parsed payload and answered 202 at once", async () => {
    const { handlers, events } = makeHandlers();
    const app = await makeApp(handlers);
    const response = await injectDelivery(app, { event: "push", payload: pushPayload, deliveryId: "d-1" });
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), { queued: true, deliveryId: "d-1" });
    assert.deepEqual(events, [{ repositoryId: 1, event: "push", deliveryId: "d-1", payload: pushPayload }]);
    await app.close();
  });

  test("a repeated delivery answers 200 duplicate and is not queued again", async () => {
    const { handlers, events } = makeHandlers();
    const app = await makeApp(handlers);
    assert.equal(
      (await injectDelivery(app, { event: "push", payload: pushPayload, deliveryId: "d-2" })).statusCode,
      202,
    );
    const again = await injectDelivery(app, { event: "push", payload: pushPayload, deliveryId: "d-2" });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { ok: true, duplicate: true });
    assert.equal(events.length, 1);
    await app.close();
  });

  test("a missing, wrong or stale signature answers 401 and nothing is recorded", async () => {
    const { handlers, events } = makeHandlers();
    const app = await makeApp(handlers);
    const body = JSON.stringify(pushPayload);
    const tampered = body.replace("refs/heads/main", "refs/heads/evil");
    for (const [label, options] of [
      ["missing", { event: "push", body, signature: null }],
      ["wrong secret", { event: "push", body, signature: signPayload("not-the-secret", Buffer.from(body)) }],
      ["tampered body", { event: "push", body: tampered, signature: signPayload(secret, Buffer.from(body)) }],
      ["ping too", { event: "ping", body, signature: "sha256=00" }],
    ] as const) {
      const response = await injectDelivery(app, options);
      assert.equal(response.statusCode, 401, label);
      assert.deepEqual(response.json(), {
        statusCode: 401,
        code: "WEBHOOK_SIGNATURE_INVALID",
        message: "X-Hub-Signature-256 is missing or does not match",
      });
    }
    assert.equal(events.length, 0);
    await app.close();
  });

  test("an unknown repository answers 404", async () => {
    const { handlers, lookups } = makeHandlers();
    const app = await makeApp(handlers);
    const response = await injectDelivery(app, {
      event: "push",
      payload: { ...pushPayload, repository: { full_name: "someone/else" } },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, "WEBHOOK_REPOSITORY_UNKNOWN");
    assert.deepEqual(lookups, ["someone/else"]);
    await app.close();
  });

  test("malformed requests answer 400 with a code", async () => {
    const { handlers, lookups } = makeHandlers();
    const app = await makeApp(handlers);
    const cases = [
      [{ event: "push", body: "{not json" }, "WEBHOOK_PAYLOAD_INVALID"],
      [{ event: "push", body: "[1, 2]" }, "WEBHOOK_PAYLOAD_INVALID"],
      [{ event: "push", payload: { ref: "refs/heads/main" } }, "WEBHOOK_REPOSITORY_MISSING"],
      [{ event: "push", payload: { repository: { full_name: "../../etc" } } }, "WEBHOOK_REPOSITORY_MISSING"],
      [{ event: "Push Event", payload: pushPayload }, "WEBHOOK_HEADER_MISSING"],
    ] as const;
    for (const [options, code] of cases) {
      const response = await injectDelivery(app, options);
      assert.equal(response.statusCode, 400, code);
      assert.equal(response.json().code, code);
    }
    const noDelivery = await app.inject({
      method: "POST",
      url: "/webhooks/github",
      headers: { "content-type": "application/json", "x-github-event": "push" },
      payload: JSON.stringify(pushPayload),
    });
    assert.equal(noDelivery.statusCode, 400);
    assert.equal(noDelivery.json().code, "WEBHOOK_HEADER_MISSING");
    assert.deepEqual(lookups, []);
    await app.close();
  });

  test("a body over the limit answers 413 before anything is looked up", async () => {
    const { handlers, lookups } = makeHandlers();
    const app = await makeApp(handlers, 1024);
    const payload = { ...pushPayload, padding: "x".repeat(2048) };
    const response = await injectDelivery(app, { event: "push", payload });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().code, "WEBHOOK_BODY_TOO_LARGE");
    assert.deepEqual(lookups, []);
    await app.close();
  });

  test("form-encoded deliveries are verified over the form body and parsed from its payload field", async () => {
    const { handlers, events } = makeHandlers();
    const app = await makeApp(handlers);
    const body = new URLSearchParams({ payload: JSON.stringify(pushPayload) }).toString();
    const response = await injectDelivery(app, {
      event: "push",
      body,
      contentType: "application/x-www-form-urlencoded",
      deliveryId: "form-1",
    });
    assert.equal(response.statusCode, 202);
    assert.deepEqual(events[0]!.payload, pushPayload);
    await app.close();
  });

  test("a delivery that cannot be queued answers 500 without the cause's message, so GitHub marks it failed", async () => {
    const { handlers, events } = makeHandlers({ failToEnqueue: true });
    const app = await makeApp(handlers);
    const response = await injectDelivery(app, {
      event: "push",
      payload: pushPayload,
      deliveryId: "retry-1",
    });
    assert.equal(response.statusCode, 500);
    assert.equal(events.length, 0);
    assert.deepEqual(response.json(), {
      statusCode: 500,
      code: "WEBHOOK_INTERNAL",
      message: "hangar failed while handling the delivery",
    });
    await app.close();
  });

  test("routes outside the plugin keep fastify's JSON parsing", async () => {
    const { handlers } = makeHandlers();
    const app = await makeApp(handlers);
    const response = await app.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
    assert.deepEqual(response.json(), { body: { a: 1 } });
    await app.close();
  });
});

describe("through a real server on 127.0.0.1", () => {
  let app: FastifyInstance;
  let url: string;
  const state = makeHandlers();

  before(async () => {
    app = await makeApp(state.handlers);
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    url = `${address}/webhooks/github`;
  });
  after(() => app.close());

  test("ping, a push, its redelivery and a forged delivery", async () => {
    const ping = await sendWebhook(url, {
      event: "ping",
      payload: { zen: "Design for failure.", repository },
      secret,
    });
    assert.deepEqual([ping.status, ping.body], [200, { ok: true }]);

    const push = await sendWebhook(url, { event: "push", payload: pushPayload, secret });
    assert.deepEqual([push.status, push.body], [202, { queued: true, deliveryId: push.deliveryId }]);
    assert.deepEqual(state.events.at(-1), {
      repositoryId: 1,
      event: "push",
      deliveryId: push.deliveryId,
      payload: pushPayload,
    });

    const redelivery = await sendWebhook(url, {
      event: "push",
      payload: pushPayload,
      secret,
      deliveryId: push.deliveryId,
    });
    assert.deepEqual([redelivery.status, redelivery.body], [200, { ok: true, duplicate: true }]);

    const forged = await sendWebhook(url, { event: "push", payload: pushPayload, secret: "guessed" });
    assert.equal(forged.status, 401);
    const unsigned = await sendWebhook(url, { event: "push", payload: pushPayload, secret, signature: null });
    assert.equal(unsigned.status, 401);
    const unknown = await sendWebhook(url, {
      event: "push",
      payload: { ...pushPayload, repository: { full_name: "octo-org/other" } },
      secret,
    });
    assert.equal(unknown.status, 404);
    assert.equal(state.events.length, 1);
  });

  test("the default limit takes payloads past fastify's 1 MiB default and refuses those past 25 MB", async () => {
    const large = { ...pushPayload, padding: "x".repeat(3 * 1024 * 1024) };
    const accepted = await sendWebhook(url, { event: "push", payload: large, secret });
    assert.equal(accepted.status, 202);

    const tooLarge = { ...pushPayload, padding: "x".repeat(25 * 1024 * 1024) };
    const refused = await sendWebhook(url, { event: "push", payload: tooLarge, secret });
    assert.equal(refused.status, 413);
    assert.equal(refused.body["code"], "WEBHOOK_BODY_TOO_LARGE");
  });
});
