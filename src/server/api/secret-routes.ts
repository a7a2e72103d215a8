// The API's secrets and variables of a repository (`?environment=` for an environment's), admin only. Secret values
// go in and never come out: reads give names and timestamps, as GitHub's API does. Every change records an event.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import {
  deleteScopedValue,
  getRepository,
  listSecrets,
  listVariables,
  type Store,
  type ValueScope,
} from "../../store/index.js";
import {
  normalizeValueName,
  SecretError,
  setSecret,
  setVariable,
  maxValueBytes,
  type SecretKeyring,
} from "../../control/index.js";
import { errorResponses } from "./schemas.js";

export interface SecretRoutesOptions {
  store: Store;
  keyring: SecretKeyring;
}

type ScopeRequest = FastifyRequest<{
  Params: { owner: string; name: string; item?: string };
  Querystring: { environment?: string };
}>;

const timestamp = { type: "string", description: "ISO-8601 UTC" } as const;
const environment = { type: ["string", "null"], description: "null: the repository's own" } as const;
const secretSchema = {
  type: "object",
  properties: { name: { type: "string" }, environment, createdAt: timestamp, updatedAt: timestamp },
  required: ["name", "environment", "createdAt", "updatedAt"],
} as const;
const variableSchema = {
  type: "object",
  properties: { ...secretSchema.properties, value: { type: "string" } },
  required: [...secretSchema.required, "value"],
} as const;
const repositoryParams = {
  owner: { type: "string", pattern: "^[\\w.-]+$" },
  name: { type: "string", pattern: "^[\\w.-]+$" },
} as const;
const listParams = { type: "object", properties: repositoryParams, required: ["owner", "name"] } as const;
const itemParams = {
  type: "object",
  properties: { ...repositoryParams, item: { type: "string", minLength: 1, maxLength: 200 } },
  required: ["owner", "name", "item"],
} as const;
const scopeQuery = {
  type: "object",
  properties: { environment: { type: "string", minLength: 1, maxLength: 255 } },
  additionalProperties: false,
} as const;
const valueBody = {
  type: "object",
  properties: { value: { type: "string", maxLength: maxValueBytes } },
  required: ["value"],
  additionalProperties: false,
} as const;

const kinds = { secret: { path: "secrets" }, variable: { path: "variables" } } as const;

export const secretRoutes: FastifyPluginAsync<SecretRoutesOptions> = async (app, { store, keyring }) => {
  const scopeOf = async (request: ScopeRequest): Promise<ValueScope> => {
    const fullName = `${request.params.owner}/${request.params.name}`;
    const repository = await getRepository(store, fullName);
    if (!repository) throw new SecretError("SECRET_NOT_FOUND", `repository ${fullName} is not registered`);
    return { repositoryId: repository.id, environment: request.query.environment ?? null };
  };
  const actorOf = (request: FastifyRequest) => request.principal?.user ?? "anonymous";

  for (const kind of ["secret", "variable"] as const) {
    const base = `/api/repositories/:owner/:name/${kinds[kind].path}`;
    const item = kind === "secret" ? secretSchema : variableSchema;

    app.get<{ Params: { owner: string; name: string }; Querystring: { environment?: string } }>(
      base,
      {
        config: { role: "admin" },
        schema: {
          summary: `A repository's (or with ?environment= an environment's) ${kinds[kind].path}`,
          params: listParams,
          querystring: scopeQuery,
          response: {
            200: {
              type: "object",
              properties: { [kinds[kind].path]: { type: "array", items: item } },
              required: [kinds[kind].path],
            },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const scope = await scopeOf(request);
        // The response schema would strip a value anyway; listSecrets never reads one.
        const entries =
          kind === "secret" ? await listSecrets(store, scope) : await listVariables(store, scope);
        return { [kinds[kind].path]: entries };
      },
    );

    app.put<{
      Params: { owner: string; name: string; item: string };
      Querystring: { environment?: string };
      Body: { value: string };
    }>(
      `${base}/:item`,
      {
        config: { role: "admin" },
        schema: {
          summary: `Create or replace a ${kind}${kind === "secret" ? " (its value is never returned)" : ""}`,
          params: itemParams,
          querystring: scopeQuery,
          body: valueBody,
          response: {
            200: {
              type: "object",
              properties: { name: { type: "string" }, environment },
              required: ["name", "environment"],
            },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const scope = await scopeOf(request);
        const input = {
          ...scope,
          name: request.params.item,
          value: request.body.value,
          actor: actorOf(request),
        };
        const name =
          kind === "secret" ? await setSecret(store, keyring, input) : await setVariable(store, input);
        return { name, environment: scope.environment ?? null };
      },
    );

    app.delete<{
      Params: { owner: string; name: string; item: string };
      Querystring: { environment?: string };
    }>(
      `${base}/:item`,
      {
        config: { role: "admin" },
        schema: {
          summary: `Delete a ${kind}`,
          params: itemParams,
          querystring: scopeQuery,
          response: { 204: { type: "null" }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const scope = await scopeOf(request);
        const name = normalizeValueName(kind, request.params.item);
        if (!(await deleteScopedValue(store, { ...scope, kind, name, actor: actorOf(request) }))) {
          throw new SecretError("SECRET_NOT_FOUND", `there is no ${kind} ${name} there`);
        }
        return reply.code(204).send();
      },
    );
  }
};
