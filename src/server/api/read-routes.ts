// The API's read routes: runs with their jobs, steps and waits, one job, logs, runners, repositories, deliveries.
// Store reads only; nothing here changes state.
import type { FastifyInstance } from "fastify";
import {
  getDelivery,
  getJob,
  getJobLogs,
  getRun,
  listDeliveries,
  listJobSteps,
  listJobWaits,
  listRepositorySummaries,
  listRunners,
  listRuns,
  type Job,
  type Step,
  type Store,
} from "../../store/index.js";
import {
  DELIVERY_STATUSES,
  RUN_STATUSES,
  type DeliveryStatus,
  type RunStatus,
} from "../../contracts/index.js";
import { describeJobWait, explainQueuedJob } from "./job-waiting.js";
import {
  deliveryParams,
  deliverySchema,
  errorResponses,
  idParams,
  jobSchema,
  logChunkSchema,
  pageOf,
  pageQuery,
  pendingJobSchema,
  repositorySchema,
  runnerSchema,
  runSchema,
} from "./schemas.js";

type Page = { cursor?: number; limit?: number };

export function registerReadRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: Page & { status?: RunStatus; event?: string } }>(
    "/api/runs",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Runs, newest first",
        querystring: {
          type: "object",
          properties: {
            status: { type: "string", enum: RUN_STATUSES },
            event: { type: "string" },
            ...pageQuery,
          },
          additionalProperties: false,
        },
        response: { 200: pageOf("runs", runSchema), ...errorResponses },
      },
    },
    async (request) => listRuns(store, request.query),
  );

  app.get<{ Params: { id: number } }>(
    "/api/runs/:id",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A run with its jobs (every attempt), their steps, and why jobs not started yet wait",
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: {
              run: runSchema,
              jobs: { type: "array", items: jobSchema },
              waitingJobs: { type: "array", items: pendingJobSchema },
            },
            required: ["run", "jobs", "waitingJobs"],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const found = await getRun(store, request.params.id);
      if (!found) return reply.code(404).send(notFound(`run ${request.params.id}`));
      const waits = await listJobWaits(store, found.run.id);
      return {
        run: found.run,
        jobs: await describeJobs(store, found.jobs),
        waitingJobs: waits.map((wait) => ({ ...wait, waiting: describeJobWait(wait) })),
      };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/jobs/:id",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A job with its steps and, while it has not started, why it waits",
        params: idParams,
        response: {
          200: { type: "object", properties: { job: jobSchema }, required: ["job"] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const job = await getJob(store, request.params.id);
      if (!job) return reply.code(404).send(notFound(`job ${request.params.id}`));
      const [described] = await describeJobs(store, [job]);
      return { job: described };
    },
  );

  app.get<{ Params: { id: number }; Querystring: { after?: number } }>(
    "/api/jobs/:id/logs",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A job's stored log chunks after a seq (up to 1000)",
        params: idParams,
        querystring: {
          type: "object",
          properties: { after: { type: "integer", minimum: 0 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            properties: { chunks: { type: "array", items: logChunkSchema } },
            required: ["chunks"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      chunks: await getJobLogs(store, request.params.id, { afterSeq: request.query.after }),
    }),
  );

  app.get<{ Querystring: Page & { status?: "online" | "offline" } }>(
    "/api/runners",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Registered runners, newest first: online or offline, and the job each one runs",
        querystring: {
          type: "object",
          properties: { status: { type: "string", enum: ["online", "offline"] }, ...pageQuery },
          additionalProperties: false,
        },
        response: { 200: pageOf("runners", runnerSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { status, ...page } = request.query;
      const found = await listRunners(store, {
        ...page,
        ...(status ? { isOnline: status === "online" } : {}),
      });
      return {
        ...found,
        runners: found.runners.map((runner) => ({
          ...runner,
          status: runner.isOnline ? "online" : "offline",
        })),
      };
    },
  );

  app.get<{ Querystring: Page }>(
    "/api/repositories",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Registered repositories, newest first (webhook secrets are never shown)",
        querystring: { type: "object", properties: pageQuery, additionalProperties: false },
        response: { 200: pageOf("repositories", repositorySchema), ...errorResponses },
      },
    },
    async (request) => listRepositorySummaries(store, request.query),
  );

  app.get<{ Querystring: Page & { event?: string; status?: DeliveryStatus } }>(
    "/api/deliveries",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Received webhook deliveries, newest first: where each is in the intake queue, and its runs",
        querystring: {
          type: "object",
          properties: {
            event: { type: "string" },
            status: { type: "string", enum: DELIVERY_STATUSES },
            ...pageQuery,
          },
          additionalProperties: false,
        },
        response: { 200: pageOf("deliveries", deliverySchema), ...errorResponses },
      },
    },
    async (request) => listDeliveries(store, request.query),
  );

  app.get<{ Params: { deliveryId: string } }>(
    "/api/deliveries/:deliveryId",
    {
      config: { role: "viewer" },
      schema: {
        summary: "One delivery by GitHub's X-GitHub-Delivery id",
        params: deliveryParams,
        response: { 200: deliverySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const delivery = await getDelivery(store, request.params.deliveryId);
      return delivery ?? reply.code(404).send(notFound(`delivery ${request.params.deliveryId}`));
    },
  );
}

/** Jobs as the API shows them: with their steps, and for queued ones why no runner took them yet. */
async function describeJobs(store: Store, jobs: readonly Job[]) {
  const steps = new Map<number, Step[]>();
  for (const step of await listJobSteps(
    store,
    jobs.map((job) => job.id),
  )) {
    steps.set(step.jobRowId, [...(steps.get(step.jobRowId) ?? []), step]);
  }
  const isAnyQueued = jobs.some((job) => job.status === "queued");
  const online = isAnyQueued ? (await listRunners(store, { isOnline: true, limit: Infinity })).runners : [];
  return jobs.map((job) => ({
    ...job,
    steps: steps.get(job.id) ?? [],
    waiting: explainQueuedJob(job, online),
  }));
}

export function notFound(what: string) {
  return { statusCode: 404, code: "NOT_FOUND", message: `${what} does not exist` };
}
