// GET /api/jobs/:id/logs/stream: a job's log as Server-Sent Events (html.spec.whatwg.org "Server-sent events").
// Each stored chunk is one `log` event whose id is the chunk's seq, so a client that reconnects with Last-Event-ID
// resumes with neither a gap nor a duplicate; then new chunks as runners store them; then `end` when the job completes.
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { getJob, getJobLogs, type LogChunk, type Store } from "../../store/index.js";
import type { JobActivity } from "../../control/index.js";
import { notFound } from "./read-routes.js";
import { errorResponses, idParams } from "./schemas.js";

export interface LogStreamOptions {
  /** Wakes streams when a runner served by this process stores something for their job. */
  activity?: JobActivity;
  /** The safety-net poll (default 2 s): runners served by other replicas do not wake `activity`. */
  pollMs?: number;
  /** A comment line this often (default 15 s) keeps proxies from cutting an idle stream. */
  heartbeatMs?: number;
}

export function registerLogStream(app: FastifyInstance, store: Store, options: LogStreamOptions): void {
  const pollMs = options.pollMs ?? 2_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  // Open streams end when the server closes; fastify's close would otherwise wait for them forever.
  const streams = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of streams) end();
  });

  app.get<{ Params: { id: number }; Querystring: { after?: number } }>(
    "/api/jobs/:id/logs/stream",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A job's log as Server-Sent Events: `log` events (id = chunk seq), then one `end` event",
        description:
          "Resumes after the `Last-Event-ID` header, else after `?after=`. Each `log` event's data is a chunk " +
          "`{seq, byteOffset, text}`; `end`'s data is `{status, conclusion}`. Comment lines are heartbeats.",
        params: idParams,
        headers: {
          type: "object",
          properties: { "last-event-id": { type: "string", pattern: "^[0-9]+$" } },
        },
        querystring: {
          type: "object",
          properties: { after: { type: "integer", minimum: 0 } },
          additionalProperties: false,
        },
        response: {
          200: {
            description: "text/event-stream",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const jobRowId = request.params.id;
      if (!(await getJob(store, jobRowId))) return reply.code(404).send(notFound(`job ${jobRowId}`));
      const lastEventId = request.headers["last-event-id"];
      let afterSeq = lastEventId !== undefined ? Number(lastEventId) : (request.query.after ?? 0);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      let isOver = false;
      let wake: () => void = () => undefined;
      const end = () => {
        isOver = true;
        wake();
      };
      streams.add(end);
      raw.once("close", end);
      const unsubscribe = options.activity?.subscribe(jobRowId, () => wake());
      const heartbeat = setInterval(() => void send(raw, ": heartbeat\n\n"), heartbeatMs);
      let timer: NodeJS.Timeout | undefined;
      try {
        while (!isOver) {
          // Armed before reading, so a chunk stored during the reads is not slept through.
          const woken = new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, pollMs);
          });
          // Status first: a runner stores every chunk before it completes the job, so the reads after see them all.
          const job = await getJob(store, jobRowId);
          for (;;) {
            const chunks = await getJobLogs(store, jobRowId, { afterSeq });
            for (const chunk of chunks) {
              if (isOver) break;
              await send(raw, logEvent(chunk));
              afterSeq = chunk.seq;
            }
            if (chunks.length < 1000 || isOver) break;
          }
          if (!job || job.status === "completed") {
            const data = JSON.stringify({ status: job?.status ?? null, conclusion: job?.conclusion ?? null });
            await send(raw, `event: end\ndata: ${data}\n\n`);
            break;
          }
          await woken;
          clearTimeout(timer);
        }
      } catch (error) {
        request.log.error({ err: error, jobRowId }, "log stream failed");
      } finally {
        clearTimeout(timer);
        clearInterval(heartbeat);
        unsubscribe?.();
        streams.delete(end);
        raw.off("close", end);
        raw.end();
      }
    },
  );
}

function logEvent(chunk: LogChunk): string {
  return `id: ${chunk.seq}\nevent: log\ndata: ${JSON.stringify(chunk)}\n\n`;
}

/** Writes, waiting for the socket to drain when its buffer is full, unless the client is gone. */
async function send(raw: ServerResponse, text: string): Promise<void> {
  if (raw.destroyed || raw.writableEnded) return;
  if (raw.write(text)) return;
  await Promise.race([once(raw, "drain"), once(raw, "close")]);
}
