// GET /metrics in Prometheus' text format. It takes an API token like any API route (Prometheus sends it as
// `authorization: {type: Bearer, credentials: ...}` in its scrape config); a viewer token is enough.
import type { FastifyPluginAsync } from "fastify";
import { type ServerMetrics } from "../../control/index.js";

export const metricsPlugin: FastifyPluginAsync<{ metrics: ServerMetrics }> = async (app, { metrics }) => {
  app.get(
    "/metrics",
    {
      config: { role: "viewer" },
      schema: {
        summary:
          "Prometheus metrics: jobs, runs, runners and the intake queue from the store; latency histograms",
        produces: ["text/plain"],
      },
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};
