// The JSON API for people and tools: runs, jobs, steps, logs (live too), runners, repositories, deliveries,
// dispatch, re-run, cancel, retrying a failed delivery, and the health routes. Each route's `config.role` is enforced by ../auth.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { getDelivery, type Store } from "../../store/index.js";
import type { JobActivity } from "../../control/index.js";
import { registerHealthRoutes } from "./health-routes.js";
import { registerLogStream, type LogStreamOptions } from "./log-stream.js";
import { notFound, registerReadRoutes } from "./read-routes.js";
import { deliveryParams, errorResponses, idParams } from "./schemas.js";

export interface ApiPluginOptions {
  store: Store;
  /** Records a cancel on the run and cancels it wherever it runs; throws a 404/409 error for unknown/completed runs. */
  cancelRun(runId: number, actor: string): Promise<void>;
  /** Starts the next attempt of a completed run; `failedOnly` keeps the jobs that succeeded. */
  rerunRun(runId: number, failedOnly: boolean, actor: string): Promise<{ id: number; attempt: number }>;
  /** Queues a delivery that failed for good again; false when it has not failed (or does not exist). */
  retryDelivery(deliveryId: string, actor: string): Promise<boolean>;
  /** Starts a workflow_dispatch event as if GitHub had delivered it; the result lists the runs created. */
  dispatch(event: { name: string; payload: Record<string, unknown> }): Promise<Record<string, unknown>>;
  /** Wakes live log streams when a runner served by this process stores logs or completes a job. */
  activity?: JobActivity;
  /** Poll and heartbeat intervals of live log streams (tests shorten them). */
  logStream?: Omit<LogStreamOptions, "activity">;
}

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (
  app,
  { store, cancelRun, rerunRun, retryDelivery, dispatch, activity, logStream },
) => {
  registerHealthRoutes(app, store);
  registerReadRoutes(app, store);
  registerLogStream(app, store, { ...logStream, activity });

  // Shaped like GitHub's "Create a workflow dispatch event": the workflow file, a ref, string inputs.
  app.post<{ Body: { repository: string; workflow: string; ref: string; inputs?: Record<string, string> } }>(
    "/api/dispatches",
    {
      config: { role: "operator" },
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
        response: {
          202: {
            type: "object",
            properties: {
              runs: { type: "array", items: { type: "integer" } },
              skipped: {
                type: "array",
                items: {
                  type: "object",
                  properties: { file: { type: "string" }, reason: { type: "string" } },
                  required: ["file", "reason"],
                },
              },
              invalid: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    file: { type: "string" },
                    problems: { type: "array", items: { type: "string" } },
                  },
                  required: ["file", "problems"],
                },
              },
            },
            required: ["runs"],
          },
          ...errorResponses,
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
          sender: { login: actorOf(request) },
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
      config: { role: "operator" },
      schema: {
        params: idParams,
        querystring: {
          type: "object",
          properties: { failed: { type: "boolean" } },
          additionalProperties: false,
        },
        response: {
          202: {
            type: "object",
            properties: { runId: { type: "integer" }, attempt: { type: "integer" } },
            required: ["runId", "attempt"],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const run = await rerunRun(request.params.id, request.query.failed ?? false, actorOf(request));
      return reply.code(202).send({ runId: run.id, attempt: run.attempt });
    },
  );

  app.post<{ Params: { deliveryId: string } }>(
    "/api/deliveries/:deliveryId/retry",
    {
      config: { role: "operator" },
      schema: {
        summary: "Queues a delivery that failed for good again, with fresh attempts",
        params: deliveryParams,
        response: {
          202: { type: "object", properties: { queued: { type: "boolean" } }, required: ["queued"] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { deliveryId } = request.params;
      if (await retryDelivery(deliveryId, actorOf(request))) return reply.code(202).send({ queued: true });
      const delivery = await getDelivery(store, deliveryId);
      if (!delivery) return reply.code(404).send(notFound(`delivery ${deliveryId}`));
      return reply.code(409).send({
        statusCode: 409,
        code: "DELIVERY_NOT_FAILED",
        message: `delivery ${deliveryId} is ${delivery.status}: only a failed delivery is retried`,
      });
    },
  );

  app.post<{ Params: { id: number } }>(
    "/api/runs/:id/cancel",
    { config: { role: "operator" }, schema: { params: idParams } },
    async (request, reply) => {
      await cancelRun(request.params.id, actorOf(request));
      return reply.code(202).send({ cancelling: true });
    },
  );
};

/** The token's user: every route here declares a role, so the access-control hook has set the principal. */
function actorOf(request: FastifyRequest): string {
  return request.principal?.user ?? "api";
}
