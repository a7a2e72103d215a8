// API access control: every route declares who may call it, the server refuses to start when one does not, and
// requests to API routes must carry a live API token whose role the route grants. Owns nothing else: runner and
// webhook routes keep their own checks (runner token, HMAC) in their own plugins.
import type { FastifyPluginAsync, FastifyReply, RouteOptions } from "fastify";
import { API_TOKEN_ROLES, authenticateApiToken, type ApiTokenRole, type Store } from "../../store/index.js";
import { hasRole, type Principal } from "../../control/index.js";

/**
 * Contract: the routes that take no API token, and why. `runner`: the runner protocol checks runner (or registration)
 * tokens itself. `webhook`: GitHub's HMAC signature only. `public`: /healthz, /readyz for load balancers, and
 * /api/openapi.json, which describes only what the published source already shows.
 */
export const ROUTE_AUTH_KINDS = ["runner", "webhook", "public"] as const;
export type RouteAuthKind = (typeof ROUTE_AUTH_KINDS)[number];

/** A route's declared access: the API role it needs, or the other kind of authentication it uses. */
export type RouteAccess = { role: ApiTokenRole } | { auth: RouteAuthKind };

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The least API role that may call this route (roles.ts ROLE_GRANTS). */
    role?: ApiTokenRole;
    /** Set instead of `role` on routes that take no API token. */
    auth?: RouteAuthKind;
  }
  interface FastifyRequest {
    /** The API token's holder; set on every route that declares a `role`, undefined elsewhere. */
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route registered after the access-control plugin, with its declared access (tests walk it). */
    readonly registeredRoutes: readonly RegisteredRoute[];
  }
}

export interface AccessControlOptions {
  store: Store;
}

/** Contract: stable codes of the 401/403 answers. */
export const accessControlErrors = {
  AUTH_TOKEN_MISSING: {
    statusCode: 401,
    message: "this route needs an API token: Authorization: Bearer <token>",
  },
  AUTH_TOKEN_INVALID: { statusCode: 401, message: "the API token is unknown, expired or revoked" },
  AUTH_ROLE_INSUFFICIENT: { statusCode: 403, message: "this API token's role may not call this route" },
} as const;
type AccessControlErrorCode = keyof typeof accessControlErrors;

const accessControl: FastifyPluginAsync<AccessControlOptions> = async (app, { store }) => {
  const routes: RegisteredRoute[] = [];
  app.decorate("registeredRoutes", routes);
  app.decorateRequest("principal", undefined);

  // Fail closed at boot: a route without a declaration throws here, so its plugin and the server's start fail.
  app.addHook("onRoute", (route) => {
    routes.push(
      ...[route.method].flat().map((method) => ({ method, url: route.url, access: readAccess(route) })),
    );
  });

  app.addHook("onRequest", async (request, reply) => {
    const role = request.routeOptions.config.role;
    if (role === undefined) return;
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (token === undefined) return refuse(reply, "AUTH_TOKEN_MISSING");
    const record = await authenticateApiToken(store, token);
    if (!record) return refuse(reply, "AUTH_TOKEN_INVALID");
    const principal: Principal = {
      user: record.user,
      role: record.role,
      environments: record.environments,
      tokenId: record.id,
    };
    if (!hasRole(principal, role)) {
      return refuse(
        reply,
        "AUTH_ROLE_INSUFFICIENT",
        `this route needs the ${role} role; token ${record.id} (${record.user}) has ${record.role}`,
      );
    }
    request.principal = principal;
  });
};

// skip-override (what fastify-plugin sets): the hooks and decorators land on the server itself, so they cover the
// routes of every plugin registered after this one.
export const accessControlPlugin = Object.assign(accessControl, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "hangar-access-control",
});

function readAccess(route: RouteOptions): RouteAccess {
  const { role, auth } = route.config ?? {};
  const where = `route ${[route.method].flat().join(",")} ${route.url}`;
  if (role !== undefined && auth !== undefined)
    throw new Error(`${where} declares both config.role and config.auth`);
  if (role !== undefined) {
    if (!API_TOKEN_ROLES.includes(role))
      throw new Error(
        `${where}: config.role ${JSON.stringify(role)} is not one of ${API_TOKEN_ROLES.join(", ")}`,
      );
    return { role };
  }
  if (auth !== undefined) {
    if (!ROUTE_AUTH_KINDS.includes(auth))
      throw new Error(
        `${where}: config.auth ${JSON.stringify(auth)} is not one of ${ROUTE_AUTH_KINDS.join(", ")}`,
      );
    return { auth };
  }
  throw new Error(
    `${where} declares no access: add config.role (an API role) or config.auth (runner, webhook, public)`,
  );
}

function refuse(reply: FastifyReply, code: AccessControlErrorCode, message?: string): FastifyReply {
  const { statusCode } = accessControlErrors[code];
  if (statusCode === 401) void reply.header("www-authenticate", 'Bearer realm="hangar"');
  return reply
    .code(statusCode)
    .send({ statusCode, code, message: message ?? accessControlErrors[code].message });
}
