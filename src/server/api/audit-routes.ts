// The API's audit trail: events filtered and paged, a JSON Lines export of them all, and a chain verification.
// Store reads only; the events themselves are written by the store in the transactions that make each change.
import { Readable } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import {
  listAuditEvents,
  streamAuditEvents,
  verifyAuditChain,
  type AuditEventFilter,
  type AuditEventPage,
  type Store,
} from "../../store/index.js";
import { errorResponses, pageOf } from "./schemas.js";

export interface AuditRoutesOptions {
  store: Store;
}

const nullableString = { type: ["string", "null"] } as const;
const hash = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;

export const auditEventSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    seq: { type: "integer" },
    event_id: { type: "string" },
    trace_id: nullableString,
    at: { type: "string", description: "ISO-8601 UTC" },
    actor: nullableString,
    action: { type: "string" },
    resource: {
      type: "object",
      properties: { type: { type: "string" }, id: { type: "string" } },
      required: ["type", "id"],
    },
    status: nullableString,
    latency_ms: { type: ["integer", "null"] },
    metadata: { description: "the redacted metadata (JSON)" },
    prev_hash: { type: "string" },
    hash: { type: "string" },
  },
  required: ["id", "seq", "event_id", "at", "action", "resource", "metadata", "prev_hash", "hash"],
} as const;

const filterProperties = {
  trace: { type: "string", description: "<run_id>-<attempt>" },
  actor: { type: "string" },
  action: { type: "string", description: "an action, or a prefix ending in * (approval:*)" },
  resource: { type: "string", description: "TYPE or TYPE:ID" },
  since: { type: "string", description: "ISO-8601, or a duration back from now: 30m, 12h, 7d" },
  until: { type: "string", description: "ISO-8601, or a duration back from now" },
} as const;

const chainHeadSchema = {
  type: "object",
  properties: { count: { type: "integer" }, event_id: nullableString, hash },
  required: ["count", "event_id", "hash"],
} as const;

export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, { store }) => {
  app.get<{ Querystring: AuditEventPage }>(
    "/api/audit/events",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Audit events oldest first, filtered; pass nextCursor as cursor for the next page",
        querystring: {
          type: "object",
          properties: {
            ...filterProperties,
            cursor: { type: "integer", minimum: 1 },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf("events", auditEventSchema), ...errorResponses },
      },
    },
    async (request) => listAuditEvents(store, request.query).catch(toBadRequest),
  );

  app.get<{ Querystring: AuditEventFilter }>(
    "/api/audit/export",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Every audit event matching the filters as JSON Lines (application/x-ndjson), streamed",
        querystring: { type: "object", properties: filterProperties, additionalProperties: false },
        response: { 200: { type: "string" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const events = streamAuditEvents(store, request.query);
      // Read the first page before answering, so a bad filter is a 400 rather than a broken stream.
      const first = await events.next().catch(toBadRequest);
      async function* lines() {
        if (first.done) return;
        yield `${JSON.stringify(first.value)}\n`;
        for await (const event of events) yield `${JSON.stringify(event)}\n`;
      }
      return reply.type("application/x-ndjson").send(Readable.from(lines()));
    },
  );

  app.get(
    "/api/audit/verify",
    {
      config: { role: "admin" },
      schema: {
        summary: "Recompute the audit hash chain; `broken` names the first broken link",
        response: {
          200: {
            type: "object",
            properties: {
              isIntact: { type: "boolean" },
              count: { type: "integer" },
              head: chainHeadSchema,
              broken: {
                type: "object",
                properties: {
                  kind: { type: "string" },
                  id: { type: ["integer", "null"] },
                  seq: { type: ["integer", "null"] },
                  message: { type: "string" },
                },
                required: ["kind", "id", "seq", "message"],
              },
            },
            required: ["isIntact", "count", "head"],
          },
          ...errorResponses,
        },
      },
    },
    async () => verifyAuditChain(store),
  );
};

/** The store rejects a malformed since/until with STORE_INVALID_ARGUMENT: the caller's mistake, so a 400. */
function toBadRequest(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === "STORE_INVALID_ARGUMENT")
    throw Object.assign(new Error((error as Error).message), {
      statusCode: 400,
      code: "AUDIT_INVALID_FILTER",
    });
  throw error;
}
