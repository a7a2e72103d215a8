// Migration 8: secrets (ciphertext only: the store never sees a key or a plaintext) and variables, each at repository
// scope (environment '') or an environment's (by name; no foreign key to environments, which may come and go apart).
import type { Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { columnTypes } from "./column-types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Migration.up in index.ts
export async function createSecretsAndVariables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // '' rather than NULL for the repository scope: a unique constraint treats NULLs as distinct on both dialects.
  await db.schema
    .createTable("secrets")
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("nonce", "text", (c) => c.notNull())
    .addColumn("ciphertext", "text", (c) => c.notNull())
    .addColumn("auth_tag", "text", (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("secrets_pkey", ["repository_id", "environment", "name"])
    .execute();
  await db.schema
    .createTable("variables")
    .addColumn("repository_id", t.ref, (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("variables_pkey", ["repository_id", "environment", "name"])
    .execute();
}
