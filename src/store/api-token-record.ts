// The decoded shape of an api_tokens row and the closed set of roles, shared by the API token queries.
import type { Selectable } from "kysely";
import type { ApiTokensTable } from "./schema.js";

/** Contract: the roles an API token carries; the api_tokens CHECK constraint lists exactly these. */
export const API_TOKEN_ROLES = ["viewer", "operator", "approver", "admin"] as const;
export type ApiTokenRole = (typeof API_TOKEN_ROLES)[number];

/** One API token, without the token itself (only its hash is stored). */
export interface ApiTokenRecord {
  id: number;
  /** The actor recorded for what the token does. */
  user: string;
  role: ApiTokenRole;
  /** Environment names an approver may approve; `*` means all. Empty for other roles. */
  environments: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function toApiTokenRecord(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: Number(row.id),
    user: row.user_name,
    role: row.role,
    environments: JSON.parse(row.environments) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
