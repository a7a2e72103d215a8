// Migration 10: API tokens, stored only as the SHA-256 of the token; the role CHECK is a literal list on purpose
// (see 0001), so a role added to API_TOKEN_ROLES without a migration fails the api-tokens store test.
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createApiTokens(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable("api_tokens")
    .addColumn("id", t.id, (c) =>
      dialect === "postgres" ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("environments", t.json, (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("expires_at", t.timestamp)
    .addColumn("revoked_at", t.timestamp)
    .addColumn("last_used_at", t.timestamp)
    .addCheckConstraint("api_tokens_role_check", sql`role in ('viewer', 'operator', 'approver', 'admin')`)
    .execute();
}
