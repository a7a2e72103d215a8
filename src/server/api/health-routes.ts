// GET /healthz (the process answers) and GET /readyz (the store answers and its schema is the one this code knows),
// for load balancers and orchestrators: a replica whose database is down or not yet migrated gets no traffic.
import type { FastifyInstance } from "fastify";
import { getSchemaVersion, MIGRATIONS, type Store } from "../../store/index.js";
import { errorSchema } from "./schemas.js";

const okSchema = {
  type: "object",
  properties: { status: { type: "string" } },
  required: ["status"],
} as const;

export function registerHealthRoutes(app: FastifyInstance, store: Store): void {
  const latest = Math.max(...MIGRATIONS.map((migration) => migration.version));

  app.get(
    "/healthz",
    { config: { auth: "public" }, schema: { summary: "The process is alive", response: { 200: okSchema } } },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      config: { auth: "public" },
      schema: {
        summary: "The store answers and its schema is at this code's latest migration; 503 with why, else",
        response: {
          200: {
            type: "object",
            properties: { status: { type: "string" }, schemaVersion: { type: "integer" } },
            required: ["status", "schemaVersion"],
          },
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      let version: number;
      try {
        version = await getSchemaVersion(store);
      } catch (error) {
        request.log.warn({ err: error }, "readiness: the store does not answer");
        return reply.code(503).send({
          statusCode: 503,
          code: "NOT_READY_STORE",
          message: `the store does not answer: ${(error as Error).message}`,
        });
      }
      if (version !== latest) {
        return reply.code(503).send({
          statusCode: 503,
          code: "NOT_READY_SCHEMA",
          message: `the database schema is at migration ${version}, this hangar expects ${latest}`,
        });
      }
      return { status: "ready", schemaVersion: version };
    },
  );
}
