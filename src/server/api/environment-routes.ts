// The API's environments and deployments of a repository: read them (viewer), create or change an environment's
// protection rules (admin). Every change is recorded as an event by the store, with the token's user as actor.
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import {
  BRANCH_POLICIES,
  DEPLOYMENT_STATUSES,
  formatReviewer,
  getEnvironment,
  getRepository,
  listDeployments,
  listEnvironments,
  parseReviewer,
  saveEnvironment,
  StoreError,
  type Environment,
  type EnvironmentRules,
  type Repository,
  type Store,
} from "../../store/index.js";
import { notFound } from "./read-routes.js";
import { errorResponses } from "./schemas.js";

const string = { type: "string" } as const;

/** Contract: an environment as the API shows it; reviewers are `user` or `group:NAME`. */
export const environmentSchema = {
  type: "object",
  properties: {
    name: string,
    reviewers: { type: "array", items: string },
    requiredApprovals: { type: "integer" },
    preventSelfReview: { type: "boolean" },
    waitTimer: { type: "integer", description: "minutes" },
    branchPolicy: { type: "string", enum: BRANCH_POLICIES },
    branchPatterns: { type: "array", items: string },
    canAdminsBypass: { type: "boolean" },
    createdAt: string,
    updatedAt: string,
  },
  required: ["name", "reviewers", "requiredApprovals", "preventSelfReview", "waitTimer", "branchPolicy"],
} as const;

export const deploymentSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    environment: string,
    ref: string,
    sha: string,
    runId: { type: "integer" },
    attempt: { type: "integer" },
    jobKey: string,
    status: { type: "string", enum: DEPLOYMENT_STATUSES },
    url: { type: ["string", "null"] },
    createdAt: string,
    updatedAt: string,
  },
  required: ["id", "environment", "ref", "sha", "runId", "status", "url", "createdAt"],
} as const;

const repositoryParams = {
  type: "object",
  properties: { owner: string, name: string },
  required: ["owner", "name"],
} as const;
const environmentParams = {
  type: "object",
  properties: { owner: string, name: string, environment: { type: "string", minLength: 1 } },
  required: ["owner", "name", "environment"],
} as const;

interface EnvironmentBody {
  reviewers?: string[];
  requiredApprovals?: number;
  preventSelfReview?: boolean;
  waitTimer?: number;
  branchPolicy?: EnvironmentRules["branchPolicy"];
  branchPatterns?: string[];
  canAdminsBypass?: boolean;
}

export const environmentRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  registerEnvironmentRoutes(app, store);
};

function registerEnvironmentRoutes(app: FastifyInstance, store: Store): void {
  type RepoParams = { owner: string; name: string };
  const findRepository = async (params: RepoParams): Promise<Repository> => {
    const repository = await getRepository(store, `${params.owner}/${params.name}`);
    if (!repository)
      throw Object.assign(new Error(notFound(`repository ${params.owner}/${params.name}`).message), {
        statusCode: 404,
        code: "NOT_FOUND",
      });
    return repository;
  };

  app.get<{ Params: RepoParams }>(
    "/api/repositories/:owner/:name/environments",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A repository's environments and their protection rules",
        params: repositoryParams,
        response: {
          200: {
            type: "object",
            properties: { environments: { type: "array", items: environmentSchema } },
            required: ["environments"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const repository = await findRepository(request.params);
      return { environments: (await listEnvironments(store, repository.id)).map(toApi) };
    },
  );

  app.get<{ Params: RepoParams & { environment: string } }>(
    "/api/repositories/:owner/:name/environments/:environment",
    {
      config: { role: "viewer" },
      schema: {
        summary: "One environment and its protection rules",
        params: environmentParams,
        response: {
          200: { type: "object", properties: { environment: environmentSchema }, required: ["environment"] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const repository = await findRepository(request.params);
      const environment = await getEnvironment(store, repository.id, request.params.environment);
      if (!environment) return reply.code(404).send(notFound(`environment ${request.params.environment}`));
      return { environment: toApi(environment) };
    },
  );

  // Shaped like GitHub's "Create or update an environment": what the body leaves out keeps its value.
  app.put<{ Params: RepoParams & { environment: string }; Body: EnvironmentBody }>(
    "/api/repositories/:owner/:name/environments/:environment",
    {
      config: { role: "admin" },
      schema: {
        summary: "Create or change an environment's protection rules",
        params: environmentParams,
        body: {
          type: "object",
          properties: {
            reviewers: { type: "array", items: string, maxItems: 6 },
            requiredApprovals: { type: "integer", minimum: 1, maximum: 6 },
            preventSelfReview: { type: "boolean" },
            waitTimer: { type: "integer", minimum: 0, maximum: 43_200 },
            branchPolicy: { type: "string", enum: BRANCH_POLICIES },
            branchPatterns: { type: "array", items: string },
            canAdminsBypass: { type: "boolean" },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: "object", properties: { environment: environmentSchema }, required: ["environment"] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const repository = await findRepository(request.params);
      const { reviewers, ...rest } = request.body;
      try {
        const environment = await saveEnvironment(store, {
          repositoryId: repository.id,
          name: request.params.environment,
          rules: { ...rest, ...(reviewers ? { reviewers: reviewers.map(parseReviewer) } : {}) },
          actor: request.principal?.user ?? "anonymous",
          mode: "upsert",
        });
        return { environment: toApi(environment) };
      } catch (error) {
        if (!(error instanceof StoreError) || error.code !== "STORE_INVALID_ARGUMENT") throw error;
        return reply.code(422).send({ statusCode: 422, code: "ENVIRONMENT_INVALID", message: error.message });
      }
    },
  );

  app.get<{ Params: RepoParams; Querystring: { environment?: string; limit?: number } }>(
    "/api/repositories/:owner/:name/deployments",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A repository's deployments, newest first",
        params: repositoryParams,
        querystring: {
          type: "object",
          properties: {
            environment: string,
            limit: { type: "integer", minimum: 1, maximum: 100, default: 25 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            properties: { deployments: { type: "array", items: deploymentSchema } },
            required: ["deployments"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const repository = await findRepository(request.params);
      return {
        deployments: await listDeployments(store, {
          repositoryId: repository.id,
          ...(request.query.environment ? { environment: request.query.environment } : {}),
          limit: request.query.limit ?? 25,
        }),
      };
    },
  );
}

function toApi(environment: Environment) {
  return { ...environment, reviewers: environment.reviewers.map(formatReviewer) };
}
