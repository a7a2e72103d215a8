// Creates an API token: returns the token once in clear, stores its SHA-256 and records `token:created`.
import { sqlNowPlusMs } from "../clock.js";
import {
  API_TOKEN_ROLES,
  toApiTokenRecord,
  type ApiTokenRecord,
  type ApiTokenRole,
} from "../api-token-record.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { createToken, hashToken } from "../runner-token.js";
import { recordEvent } from "./record-event.js";

export interface NewApiTokenInput {
  /** The actor recorded for what the token does; no `:`, which marks actors like `local:<os user>`. */
  user: string;
  role: ApiTokenRole;
  /** Required for (and only for) an approver: the environments it may approve, `*` for all. */
  environments?: readonly string[];
  /** An absolute expiry, or one relative to the database's clock; none means it never expires. */
  expires?: { at: Date } | { inMs: number };
  /** Who creates it, for the event. */
  actor: string;
}

const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const ENVIRONMENT_PATTERN = /^(\*|[^\s,*][^,*]{0,254})$/;

/** Safe under concurrency: an insert of a fresh random hash and its event in one transaction. */
export async function createApiToken(
  store: Store,
  input: NewApiTokenInput,
): Promise<{ token: string; record: ApiTokenRecord }> {
  const environments = validateApiTokenInput(input);
  const token = createToken("hga");
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .insertInto("api_tokens")
      .values({
        user_name: input.user,
        role: input.role,
        environments: JSON.stringify(environments),
        token_hash: hashToken(token),
        expires_at: expiresAt(store, input.expires),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const record = toApiTokenRecord(row);
    await recordEvent(trx, {
      action: "token:created",
      resourceType: "token",
      resourceId: record.id,
      actor: input.actor,
      payload: {
        tokenId: record.id,
        user: record.user,
        role: record.role,
        environments: record.environments,
        expiresAt: record.expiresAt,
      },
    });
    return { token, record };
  });
}

function validateApiTokenInput(input: NewApiTokenInput): string[] {
  if (!USER_PATTERN.test(input.user))
    invalid(`user ${JSON.stringify(input.user)}: expected 1-64 letters, digits, '.', '_', '@' or '-'`);
  if (!(API_TOKEN_ROLES as readonly string[]).includes(input.role))
    invalid(`role ${JSON.stringify(input.role)}: expected one of ${API_TOKEN_ROLES.join(", ")}`);
  const environments = [...new Set(input.environments ?? [])];
  for (const name of environments)
    if (!ENVIRONMENT_PATTERN.test(name))
      invalid(`environments: ${JSON.stringify(name)} is not an environment name`);
  if (input.role === "approver" && environments.length === 0)
    invalid("environments: an approver token needs the environments it may approve (or '*')");
  if (input.role !== "approver" && environments.length > 0)
    invalid(`environments: only an approver token has environments, not a ${input.role} token`);
  if (input.expires && "at" in input.expires && Number.isNaN(input.expires.at.getTime()))
    invalid("expires: not a valid date");
  if (input.expires && "inMs" in input.expires && !(input.expires.inMs > 0))
    invalid("expires: the duration must be positive");
  return environments;
}

function expiresAt(store: Store, expires: NewApiTokenInput["expires"]) {
  if (!expires) return null;
  // toISOString gives the format both dialects store, so SQLite's text comparison with its clock holds.
  return "at" in expires ? expires.at.toISOString() : sqlNowPlusMs(store.dialect, expires.inMs);
}

function invalid(message: string): never {
  throw new StoreError("STORE_INVALID_ARGUMENT", message);
}
