// The runner protocol surface (/api/runners/*, /api/jobs/:id/* for runners): registration, long-poll claims,
// heartbeats, logs, step events and completion. Its runner-token hook and error handler stay inside this scope.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type {
  ClaimResponse,
  CompleteBody,
  DeliveredSecrets,
  EventsBody,
  LogsBody,
  RegisterBody,
} from "../../runner/index.js";
import {
  appendLogChunks,
  claimJob,
  completeJob,
  findRunnerByToken,
  getJob,
  getLogTail,
  listenForJobs,
  recordStepEvents,
  registerRunner,
  renewLease,
  type Job,
  type QueuedJob,
  type RunnerRecord,
  type Store,
} from "../../store/index.js";
import { CONCLUSIONS, RUNNER_STOP_REASONS, STEP_EVENTS } from "../../contracts/index.js";
import { errorResponses, idParams } from "../route-schemas.js";
import { contentTransferPlugin } from "./content-transfer-plugin.js";
import { type JobActivity } from "../../control/index.js";
import { RunnerProtocolFault, toErrorBody } from "./runner-protocol-error.js";
import { createWakeBoard, type ArmedWake } from "./wake-board.js";

export interface RunnerProtocolOptions {
  store: Store;
  /** The lease a claim grants and each heartbeat renews (default 60 s). */
  leaseMs?: number;
  /** How long a claim waits for a job before answering 204 (default 25 s, under common proxies' 30 s idle cut). */
  claimWaitMs?: number;
  /** Safety-net poll for waiting claims, in case a wake-up is lost (default 5 s). */
  safetyPollMs?: number;
  /** Told when a runner stores logs, events or a result, so a queue dispatch in this process wakes at once. */
  activity?: JobActivity;
  /** Called with each job a runner reports finished, as completed (metrics). */
  onJobCompleted?: (job: Job) => void;
  /** Called each time a claim finds no job and starts waiting (metrics; tests wait on it instead of sleeping). */
  onClaimWaiting?: (runnerId: string) => void;
  /** The server's data directory, whose content store holds runs' artifacts and caches; unset, runners get none. */
  dataDir?: string;
  /**
   * The secrets of a job a runner just claimed, sent in the claim response only (never stored with the job);
   * unset, jobs get none. A failure fails the job with the error's message, which names no value.
   */
  resolveSecrets?: (job: QueuedJob) => Promise<DeliveredSecrets>;
}

const secretMap = { type: "object", additionalProperties: { type: "string" } } as const;
const ackResponse = { type: "object", properties: { ack: { type: "integer" } }, required: ["ack"] } as const;

/** Log batches of up to 100 chunks of 64 KiB each (the runner's JobOutbox limits) fit in this. */
const logsBodyLimit = 8 * 1024 * 1024;

/**
 * Register without fastify-plugin: the auth hook and error handler must stay in this scope. Nothing here trusts a
 * runner beyond its own claimed job: every job route checks that the caller holds (or held) that job's lease.
 */
export const runnerProtocolPlugin: FastifyPluginAsync<RunnerProtocolOptions> = async (app, options) => {
  const { store } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const claimWaitMs = options.claimWaitMs ?? 25_000;
  const wakes = createWakeBoard();
  const listener = await listenForJobs(store, wakes.wakeAll, {
    safetyPollMs: options.safetyPollMs ?? 5_000,
    onError: (error) => app.log.warn({ err: error }, "job listener lost its connection; reconnecting"),
  });
  // Waiting claims answer 204 at once on shutdown instead of holding the close for up to claimWaitMs; close waits
  // for those answers, whose connections then close (an answer sent after close began would otherwise hold its
  // keep-alive connection open until the keep-alive timeout).
  const claimsInFlight = new Set<Promise<unknown>>();
  app.addHook("preClose", async () => {
    wakes.close();
    await Promise.allSettled(claimsInFlight);
  });
  app.addHook("onClose", async () => listener.close());

  app.setErrorHandler((error, request, reply) => {
    const body = toErrorBody(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, "runner protocol request failed");
    else request.log.info({ code: body.code }, body.message);
    return reply.status(body.statusCode).send(body);
  });

  app.post<{ Body: RegisterBody }>(
    "/api/runners/register",
    {
      config: { auth: "runner" },
      schema: {
        body: {
          type: "object",
          properties: {
            token: { type: "string", minLength: 1, maxLength: 200 },
            name: { type: "string", minLength: 1, maxLength: 200 },
            labels: { type: "array", items: { type: "string", minLength: 1, maxLength: 100 }, maxItems: 100 },
            ephemeral: { type: "boolean", default: false },
          },
          required: ["token", "name", "labels"],
        },
        response: {
          200: {
            type: "object",
            properties: { runnerId: { type: "string" }, runnerToken: { type: "string" } },
            required: ["runnerId", "runnerToken"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const registered = await registerRunner(store, {
        registrationToken: request.body.token,
        name: request.body.name,
        labels: request.body.labels,
        isEphemeral: request.body.ephemeral,
      });
      if (!registered) throw new RunnerProtocolFault("RUNNER_REGISTRATION_INVALID");
      return { runnerId: registered.runner.id, runnerToken: registered.runnerToken };
    },
  );

  await app.register(async (runnerScope: FastifyInstance) => {
    const runners = new WeakMap<FastifyRequest, RunnerRecord>();
    runnerScope.addHook("onRequest", async (request) => {
      const header = request.headers.authorization ?? "";
      const match = /^Bearer (\S+)$/i.exec(header);
      const runner = match ? await findRunnerByToken(store, match[1]!) : undefined;
      if (!runner) throw new RunnerProtocolFault("RUNNER_TOKEN_INVALID");
      runners.set(request, runner);
    });
    const runnerOf = (request: FastifyRequest) => runners.get(request)!;

    /** 404 unknown; 403 another runner's job; 409 this runner's job whose lease it no longer holds. */
    const loadOwnJob = async (runner: RunnerRecord, jobRowId: number): Promise<QueuedJob> => {
      const job = await getJob(store, jobRowId);
      if (!job) throw new RunnerProtocolFault("RUNNER_JOB_NOT_FOUND", `job ${jobRowId} does not exist`);
      if (job.runnerId !== runner.id) throw new RunnerProtocolFault("RUNNER_JOB_FORBIDDEN");
      if (job.status !== "in_progress" || job.leaseOwner !== runner.id) {
        throw new RunnerProtocolFault(
          "QUEUE_LEASE_LOST",
          `job ${jobRowId} is no longer leased to this runner`,
        );
      }
      return job;
    };
    if (options.dataDir) {
      await runnerScope.register(contentTransferPlugin, {
        store,
        dataDir: options.dataDir,
        runnerOf,
        loadOwnJob,
      });
    }

    runnerScope.post(
      "/api/runners/claim",
      {
        config: { auth: "runner" },
        schema: {
          response: {
            200: {
              type: "object",
              properties: {
                jobId: { type: "integer" },
                leaseMs: { type: "integer" },
                request: { type: "object", additionalProperties: true },
                secrets: {
                  type: "object",
                  properties: { repository: secretMap, environment: secretMap },
                  required: ["repository", "environment"],
                },
                logSeq: { type: "integer" },
                logOffset: { type: "integer" },
              },
              required: ["jobId", "leaseMs", "request", "logSeq", "logOffset"],
            },
            204: { type: "null" },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const answer = waitForClaim(request, reply);
        claimsInFlight.add(answer);
        try {
          return await answer;
        } finally {
          claimsInFlight.delete(answer);
        }
      },
    );

    /** Undefined when they cannot be read: the job then fails at once instead of running without them. */
    const secretsOrFailure = async (
      job: QueuedJob,
      runner: RunnerRecord,
    ): Promise<DeliveredSecrets | undefined> => {
      try {
        return (await options.resolveSecrets?.(job)) ?? { repository: {}, environment: {} };
      } catch (error) {
        app.log.error({ jobId: job.id, error: String(error) }, "cannot resolve a job's secrets");
        await completeJob(store, {
          jobId: job.id,
          runnerId: runner.id,
          conclusion: "failure",
          outputs: {},
          stopReason: "executor_error",
          message: `hangar cannot give this job its secrets: ${(error as Error).message}`,
        });
        options.activity?.notify(job.id);
        return undefined;
      }
    };

    const waitForClaim = async (request: FastifyRequest, reply: FastifyReply) => {
      const runner = runnerOf(request);
      let isGone = false;
      let wake: ArmedWake | undefined;
      // The runner hung up (stopped, or its connection dropped): claim nothing more for it.
      const onClose = () => {
        if (!reply.raw.writableFinished) isGone = true;
        wake?.wake();
      };
      reply.raw.once("close", onClose);
      const deadline = Date.now() + claimWaitMs;
      try {
        for (;;) {
          // Armed before the claim, so a job queued while the claim runs still wakes this wait.
          wake = wakes.arm();
          const job = isGone
            ? undefined
            : await claimJob(store, { runnerId: runner.id, labels: runner.labels, leaseMs });
          if (job) {
            wake.disarm();
            const claimed = await getJob(store, job.id);
            const secrets = await secretsOrFailure(claimed!, runner);
            if (!secrets) continue;
            const tail = await getLogTail(store, job.id);
            options.activity?.notify(job.id);
            const body: ClaimResponse = {
              jobId: job.id,
              leaseMs,
              request: claimed!.request as ClaimResponse["request"],
              secrets,
              logSeq: tail.seq,
              logOffset: tail.nextOffset,
            };
            return body;
          }
          const remaining = deadline - Date.now();
          if (isGone || wakes.isClosed || remaining <= 0) {
            wake.disarm();
            if (wakes.isClosed) reply.header("connection", "close");
            return reply.code(204).send();
          }
          options.onClaimWaiting?.(runner.id);
          await wake.wait(remaining);
        }
      } finally {
        reply.raw.off("close", onClose);
      }
    };

    runnerScope.post<{ Params: { id: number } }>(
      "/api/jobs/:id/heartbeat",
      {
        config: { auth: "runner" },
        schema: {
          params: idParams,
          response: {
            200: { type: "object", properties: { cancel: { type: "boolean" } }, required: ["cancel"] },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const runner = runnerOf(request);
        const job = await loadOwnJob(runner, request.params.id);
        await renewLease(store, { jobId: job.id, runnerId: runner.id, leaseMs });
        return { cancel: job.cancelRequestedAt !== null };
      },
    );

    runnerScope.post<{ Params: { id: number }; Body: LogsBody }>(
      "/api/jobs/:id/logs",
      {
        config: { auth: "runner" },
        bodyLimit: logsBodyLimit,
        schema: {
          params: idParams,
          body: {
            type: "object",
            properties: {
              chunks: {
                type: "array",
                maxItems: 1000,
                items: {
                  type: "object",
                  properties: {
                    seq: { type: "integer", minimum: 1 },
                    offset: { type: "integer", minimum: 0 },
                    text: { type: "string" },
                  },
                  required: ["seq", "offset", "text"],
                },
              },
            },
            required: ["chunks"],
          },
          response: { 200: ackResponse, ...errorResponses },
        },
      },
      async (request) => {
        const runner = runnerOf(request);
        const job = await loadOwnJob(runner, request.params.id);
        const { ackSeq } = await appendLogChunks(
          store,
          job.id,
          request.body.chunks.map((chunk) => ({
            seq: chunk.seq,
            byteOffset: chunk.offset,
            text: chunk.text,
          })),
        );
        options.activity?.notify(job.id);
        return { ack: ackSeq };
      },
    );

    runnerScope.post<{ Params: { id: number }; Body: EventsBody }>(
      "/api/jobs/:id/events",
      {
        config: { auth: "runner" },
        schema: {
          params: idParams,
          body: {
            type: "object",
            properties: {
              events: {
                type: "array",
                maxItems: 1000,
                items: {
                  type: "object",
                  properties: {
                    seq: { type: "integer", minimum: 1 },
                    type: { enum: STEP_EVENTS },
                    logSeq: { type: "integer", minimum: 0 },
                    payload: { type: "object", additionalProperties: true },
                  },
                  required: ["seq", "type", "logSeq", "payload"],
                },
              },
            },
            required: ["events"],
          },
          response: { 200: ackResponse, ...errorResponses },
        },
      },
      async (request) => {
        const runner = runnerOf(request);
        const job = await loadOwnJob(runner, request.params.id);
        const { ackSeq } = await recordStepEvents(store, {
          jobId: job.id,
          runnerId: runner.id,
          events: request.body.events.map((event) => ({
            seq: event.seq,
            action: event.type,
            payload: { ...event.payload, logSeq: event.logSeq },
          })),
        });
        options.activity?.notify(job.id);
        return { ack: ackSeq };
      },
    );

    runnerScope.post<{ Params: { id: number }; Body: CompleteBody }>(
      "/api/jobs/:id/complete",
      {
        config: { auth: "runner" },
        schema: {
          params: idParams,
          body: {
            type: "object",
            properties: {
              conclusion: { enum: CONCLUSIONS },
              outputs: { type: "object", additionalProperties: { type: "string" } },
              reason: { enum: RUNNER_STOP_REASONS },
              message: { type: "string", maxLength: 65_536 },
              environmentUrl: { type: "string", maxLength: 8_192 },
            },
            required: ["conclusion", "outputs"],
          },
          response: {
            200: { type: "object", properties: { status: { type: "string" } }, required: ["status"] },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const runner = runnerOf(request);
        const job = await loadOwnJob(runner, request.params.id);
        const completed = await completeJob(store, {
          jobId: job.id,
          runnerId: runner.id,
          conclusion: request.body.conclusion,
          outputs: request.body.outputs,
          stopReason: request.body.reason,
          message: request.body.message,
          environmentUrl: request.body.environmentUrl,
        });
        options.activity?.notify(job.id);
        options.onJobCompleted?.(completed);
        return { status: completed.status };
      },
    );
  });
};
