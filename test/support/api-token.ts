// Mints API tokens for tests directly through the store, as `hangar token create` does, and builds the auth header.
import {
  createApiToken as createStoredApiToken,
  type ApiTokenRole,
  type Store,
} from "../../src/store/index.js";

export interface TestApiTokenOptions {
  /** Default `test-admin`. */
  user?: string;
  /** Default `admin`, so a test that is not about access control can call every route. */
  role?: ApiTokenRole;
  /** An approver's environments; default `["*"]` for an approver. */
  environments?: readonly string[];
  expires?: { at: Date } | { inMs: number };
}

/** Returns the token in clear (as the CLI prints it once). */
export async function createApiToken(store: Store, options: TestApiTokenOptions = {}): Promise<string> {
  const role = options.role ?? "admin";
  const { token } = await createStoredApiToken(store, {
    user: options.user ?? `test-${role}`,
    role,
    environments: options.environments ?? (role === "approver" ? ["*"] : []),
    ...(options.expires ? { expires: options.expires } : {}),
    actor: "test",
  });
  return token;
}

/** Headers for fetch or app.inject. */
export function authHeaders(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
