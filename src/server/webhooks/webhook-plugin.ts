// The GitHub webhook surface (POST /webhooks/github): raw body, signature check, then the delivery is queued and
// answered at once; reading its workflows is the intake queue's (intake-worker.ts), well within GitHub's 10 seconds.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { EnqueueOutcome } from "../../store/index.js";
import { verifySignature } from "../../integrations/github/index.js";
import { toErrorBody, WebhookError } from "./webhook-error.js";

export interface WebhookEvent {
  repositoryId: number;
  /** X-GitHub-Event: push, pull_request, workflow_dispatch, ... */
  event: string;
  /** X-GitHub-Delivery: GitHub's id of this delivery, the same on a redelivery. */
  deliveryId: string;
  payload: Record<string, unknown>;
}

export interface WebhookPluginOptions {
  /** The repository registered under `owner/name`, with its webhook secret; undefined when not registered. */
  lookupRepository(fullName: string): Promise<{ id: number; secret: string } | undefined>;
  /** Queues a verified delivery; `duplicate` when its id is already queued or handled (GitHub redelivers with it). */
  enqueue(event: WebhookEvent): Promise<EnqueueOutcome>;
  /** Bytes; GitHub docs "Webhook events and payloads": payloads are capped at 25 MB. */
  bodyLimit?: number;
}

export const defaultWebhookBodyLimit = 25 * 1024 * 1024;

// GitHub's delivery ids are GUIDs; the cap keeps a forged header from reaching the store at any size.
const maxDeliveryIdLength = 128;

const errorSchema = {
  type: "object",
  properties: { statusCode: { type: "integer" }, code: { type: "string" }, message: { type: "string" } },
  required: ["statusCode", "code", "message"],
} as const;

const routeSchema = {
  headers: {
    type: "object",
    properties: {
      "x-github-event": { type: "string", minLength: 1, pattern: "^[a-z_]+$" },
      "x-github-delivery": { type: "string", minLength: 1, maxLength: maxDeliveryIdLength },
      "x-hub-signature-256": { type: "string" },
    },
    required: ["x-github-event", "x-github-delivery"],
  },
  response: {
    200: {
      type: "object",
      properties: { ok: { type: "boolean" }, duplicate: { type: "boolean" } },
      additionalProperties: false,
    },
    202: {
      type: "object",
      properties: { queued: { type: "boolean" }, deliveryId: { type: "string" } },
      required: ["queued", "deliveryId"],
      additionalProperties: false,
    },
    "4xx": errorSchema,
    "5xx": errorSchema,
  },
} as const;

/**
 * Register without fastify-plugin: the raw-body parser and the error handler must stay in this scope, so the rest
 * of the server keeps parsing JSON normally.
 */
export const webhookPlugin: FastifyPluginAsync<WebhookPluginOptions> = async (app, options) => {
  // The HMAC covers the exact bytes GitHub sent, so nothing may parse or re-encode the body before it is checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const body = toErrorBody(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, "webhook delivery failed");
    else request.log.info({ code: body.code }, body.message);
    return reply.status(body.statusCode).send(body);
  });

  app.post(
    "/webhooks/github",
    {
      config: { auth: "webhook" },
      bodyLimit: options.bodyLimit ?? defaultWebhookBodyLimit,
      schema: routeSchema,
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const event = readHeader(request, "x-github-event");
      const deliveryId = readHeader(request, "x-github-delivery");
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const payload = parsePayload(rawBody, request.headers["content-type"]);

      // Until the signature is checked, only repository.full_name is read: it selects the secret.
      const fullName = readFullName(payload);
      // Unknown repositories answer 404 before the signature check: without a secret there is nothing to check.
      const repository = await options.lookupRepository(fullName);
      if (repository === undefined) {
        throw new WebhookError("WEBHOOK_REPOSITORY_UNKNOWN", `repository '${fullName}' is not registered`);
      }
      if (!verifySignature(repository.secret, rawBody, readOptionalHeader(request, "x-hub-signature-256"))) {
        throw new WebhookError("WEBHOOK_SIGNATURE_INVALID");
      }

      // GitHub docs "ping": sent when a webhook is created; it starts nothing.
      if (event === "ping") return reply.status(200).send({ ok: true });
      const outcome = await options.enqueue({ repositoryId: repository.id, event, deliveryId, payload });
      if (outcome === "duplicate") return reply.status(200).send({ ok: true, duplicate: true });
      return reply.status(202).send({ queued: true, deliveryId });
    },
  );
};

function readHeader(request: FastifyRequest, name: string): string {
  const value = readOptionalHeader(request, name);
  if (value === undefined) throw new WebhookError("WEBHOOK_HEADER_MISSING", `header ${name} is missing`);
  return value;
}

function readOptionalHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * GitHub docs "Creating webhooks": a webhook's content type is application/json (the body is the payload) or
 * application/x-www-form-urlencoded (the payload is the `payload` form field); the signature covers the body as sent.
 */
function parsePayload(rawBody: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = rawBody.toString("utf8");
  const isForm = contentType?.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
  let parsed: unknown;
  try {
    parsed = JSON.parse(isForm ? (new URLSearchParams(text).get("payload") ?? "") : text);
  } catch {
    throw new WebhookError("WEBHOOK_PAYLOAD_INVALID");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new WebhookError("WEBHOOK_PAYLOAD_INVALID", "the payload is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function readFullName(payload: Record<string, unknown>): string {
  const repository = payload["repository"];
  const fullName =
    typeof repository === "object" && repository !== null
      ? (repository as Record<string, unknown>)["full_name"]
      : undefined;
  if (typeof fullName !== "string" || !/^[\w.-]+\/[\w.-]+$/.test(fullName)) {
    throw new WebhookError("WEBHOOK_REPOSITORY_MISSING");
  }
  return fullName;
}
