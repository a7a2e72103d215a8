// The JSON API for people and tools: runs, their jobs and logs, cancellation. Access control arrives with issue 5.
import type { FastifyPluginAsync } from "fastify";
import { getJobLogs, getRun, listRuns, type Store } from "../../store/index.js";

export interface ApiPluginOptions {
  store: Store;
  cancelRun(runId: number): boolean;
}

const idParams = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1 } },
  required: ["id"],
} as const;

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (app, { store, cancelRun }) => {
  app.get("/api/health", async () => ({ ok: true }));

  app.get<{ Querystring: { status?: string; event?: string; limit?: number; cursor?: number } }>(
    "/api/runs",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            status: { type: "string", enum: ["queued", "waiting", "in_progress", "completed"] },
            event: { type: "string" },
            limit: { type: "integer", minimum: 1, maximum: 100 },
            cursor: { type: "integer", minimum: 1 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { status, event, limit, cursor } = request.query;
      return listRuns(store, {
        status: status as "queued" | "waiting" | "in_progress" | "completed" | undefined,
        event,
        limit,
        cursor,
      });
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/runs/:id",
    { schema: { params: idParams } },
    async (request, reply) => {
      const found = await getRun(store, request.params.id);
      if (!found) return reply.code(404).send(notFound(`run ${request.params.id}`));
      return found;
    },
  );

  app.get<{ Params: { id: number }; Querystring: { after?: number } }>(
    "/api/jobs/:id/logs",
    {
      schema: {
        params: idParams,
        querystring: { type: "object", properties: { after: { type: "integer", minimum: 0 } } },
      },
    },
    async (request) => ({
      chunks: await getJobLogs(store, request.params.id, { afterSeq: request.query.after }),
    }),
  );

  app.post<{ Params: { id: number } }>(
    "/api/runs/:id/cancel",
    { schema: { params: idParams } },
    async (request, reply) => {
      if (!cancelRun(request.params.id)) {
        return reply.code(409).send({
          statusCode: 409,
          code: "RUN_NOT_ACTIVE",
          message: `run ${request.params.id} is not running here`,
        });
      }
      return reply.code(202).send({ cancelling: true });
    },
  );
};

function notFound(what: string) {
  return { statusCode: 404, code: "NOT_FOUND", message: `${what} does not exist` };
}
