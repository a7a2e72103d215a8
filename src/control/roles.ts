// Who may do what: the API roles, which token roles satisfy each route's role, and an approver's environment scope.
import type { ApiTokenRole } from "../store/index.js";

/** The authenticated caller of an API route (`request.principal`). */
export interface Principal {
  /** The token's user: the actor recorded for what the request does. */
  user: string;
  role: ApiTokenRole;
  /** The environments an approver may approve; `*` means all. */
  environments: readonly string[];
  tokenId: number;
}

/**
 * Contract: for each role a route declares, the token roles that may call it. viewer ⊂ operator; an approver is a
 * viewer that may also approve (in its environments, see canApprove); admin may do everything.
 */
export const ROLE_GRANTS: Readonly<Record<ApiTokenRole, readonly ApiTokenRole[]>> = {
  viewer: ["viewer", "operator", "approver", "admin"],
  operator: ["operator", "admin"],
  approver: ["approver", "admin"],
  admin: ["admin"],
};

export function hasRole(principal: Principal, required: ApiTokenRole): boolean {
  return ROLE_GRANTS[required].includes(principal.role);
}

/**
 * Whether the principal may approve or reject deployments to `environment`: an admin anywhere, an approver in its
 * named environments or `*`. Case-insensitive, as GitHub's environment names are ("Managing environments").
 */
export function canApprove(principal: Principal, environment: string): boolean {
  if (principal.role === "admin") return true;
  if (principal.role !== "approver") return false;
  const wanted = environment.toLowerCase();
  return principal.environments.some((name) => name === "*" || name.toLowerCase() === wanted);
}
