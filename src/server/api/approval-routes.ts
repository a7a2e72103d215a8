// The API's reviews of a run's jobs waiting at environments' gates: list what waits and what was decided (viewer),
// approve or reject (an approver for the environment, or an admin; an admin may also bypass).
import type { FastifyPluginAsync } from "fastify";
import { APPROVAL_DECISIONS, getRun, listApprovals, type Store } from "../../store/index.js";
import { ApprovalError, decideApproval, describePendingGates } from "../../control/index.js";
import { APPROVAL_WAITS } from "../../contracts/index.js";
import { notFound } from "./read-routes.js";
import { errorResponses, idParams } from "./schemas.js";

const string = { type: "string" } as const;

export const approvalSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    attempt: { type: "integer" },
    jobKey: string,
    environment: string,
    decision: { type: "string", enum: APPROVAL_DECISIONS },
    actor: string,
    comment: string,
    createdAt: string,
  },
  required: ["id", "attempt", "jobKey", "environment", "decision", "actor", "comment", "createdAt"],
} as const;

export const pendingGateSchema = {
  type: "object",
  properties: {
    attempt: { type: "integer" },
    key: string,
    jobId: string,
    name: string,
    environment: string,
    waitingFor: { type: "array", items: { type: "string", enum: APPROVAL_WAITS } },
    since: string,
  },
  required: ["attempt", "key", "jobId", "name", "environment", "waitingFor", "since"],
} as const;

export interface ApprovalRoutesOptions {
  store: Store;
  /** Wakes the run's gates, in this process and on the other servers. */
  onDecided(runId: number): void;
}

interface ApprovalBody {
  decision: "approved" | "rejected";
  jobs?: string[];
  environment?: string;
  comment?: string;
  bypass?: boolean;
}

export const approvalRoutes: FastifyPluginAsync<ApprovalRoutesOptions> = async (
  app,
  { store, onDecided },
) => {
  app.get<{ Params: { id: number } }>(
    "/api/runs/:id/approvals",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The run's jobs waiting for approval (this attempt) and every decision taken on its gates",
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: {
              pending: { type: "array", items: pendingGateSchema },
              decisions: { type: "array", items: approvalSchema },
            },
            required: ["pending", "decisions"],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const found = await getRun(store, request.params.id);
      if (!found) return reply.code(404).send(notFound(`run ${request.params.id}`));
      return {
        pending: await describePendingGates(store, found.run),
        decisions: await listApprovals(store, { runId: found.run.id }),
      };
    },
  );

  app.post<{ Params: { id: number }; Body: ApprovalBody }>(
    "/api/runs/:id/approvals",
    {
      config: { role: "approver" },
      schema: {
        summary:
          "Approve or reject the run's jobs waiting for approval (all, or the jobs or environment named)",
        params: idParams,
        body: {
          type: "object",
          properties: {
            decision: { type: "string", enum: ["approved", "rejected"] },
            jobs: { type: "array", items: string, minItems: 1 },
            environment: { type: "string", minLength: 1 },
            comment: { type: "string", maxLength: 65_536 },
            bypass: { type: "boolean", description: "admin only: pass the gate without its rules; recorded" },
          },
          required: ["decision"],
          additionalProperties: false,
        },
        response: {
          201: {
            type: "object",
            properties: { approvals: { type: "array", items: approvalSchema } },
            required: ["approvals"],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal)
        throw new ApprovalError(403, "APPROVAL_NOT_ALLOWED", "this request carries no API token");
      const approvals = await decideApproval(store, {
        runId: request.params.id,
        principal,
        ...request.body,
      });
      onDecided(request.params.id);
      return reply.code(201).send({ approvals });
    },
  );
};
