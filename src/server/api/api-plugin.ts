// The JSON API for people and tools: runs, their jobs and logs, cancellation. Access control arrives with issue 5.
import type { FastifyPluginAsync } from "fastify";
import { getJobLogs, getRun, listRuns, type Store } from "../../store/index.js";

export interface ApiPluginOptions {
  store: Store;
  cancelRun(runId: number): boolean;
  /** Starts the next attempt of a completed run; `failedOnly` keeps the jobs that succeeded. */
  rerunRun(runId: number, failedOnly: boolean): Promise<{ id: number; attempt: number }>;
  /** Starts a workflow_dispatch event as if GitHub had delivered it; the result lists the runs created. */
  dispatch(event: { name: string; payload: Record<string, unknown> }): Promise<Record<string, unknown>>;
}

const idParams = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1 } },
  required: ["id"],
} as const;

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (
  app,
  { store, cancelRun, rerunRun, dispatch },
) => {
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

  // Shaped like GitHub's "Create a workflow dispatch event": the workflow file, a ref, string inputs.
  app.post<{ Body: { repository: string; workflow: string; ref: string; inputs?: Record<string, string> } }>(
    "/api/dispatches",
    {
      schema: {
        body: {
          type: "object",
          properties: {
            repository: { type: "string", pattern: "^[\\w.-]+/[\\w.-]+$" },
            workflow: { type: "string", minLength: 1 },
            ref: { type: "string", minLength: 1 },
            inputs: { type: "object", additionalProperties: { type: "string" } },
          },
          required: ["repository", "workflow", "ref"],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { repository, workflow, ref, inputs } = request.body;
      const file = workflow.includes("/") ? workflow : `.github/workflows/${workflow}`;
      const result = await dispatch({
        name: "workflow_dispatch",
        payload: {
          ref: ref.startsWith("refs/") ? ref : `refs/heads/${ref}`,
          workflow: file,
          inputs: inputs ?? {},
          repository: { full_name: repository },
          sender: { login: "api" },
        },
      });
      const invalid = (result["invalid"] as { problems: string[] }[] | undefined) ?? [];
      if ((result["runs"] as number[] | undefined)?.length === 0 && invalid.length > 0) {
        const message = invalid.flatMap((i) => i.problems).join("; ");
        return reply.code(422).send({ statusCode: 422, code: "INPUT_INVALID", message });
      }
      return reply.code(202).send(result);
    },
  );

  // `?failed=true` is GitHub's "Re-run failed jobs"; without it, "Re-run all jobs".
  app.post<{ Params: { id: number }; Querystring: { failed?: boolean } }>(
    "/api/runs/:id/rerun",
    {
      schema: {
        params: idParams,
        querystring: { type: "object", properties: { failed: { type: "boolean" } } },
      },
    },
    async (request, reply) => {
      const run = await rerunRun(request.params.id, request.query.failed ?? false);
      return reply.code(202).send({ runId: run.id, attempt: run.attempt });
    },
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
