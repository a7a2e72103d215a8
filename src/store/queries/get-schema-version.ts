// Reads the newest migration applied to the database (readiness: is the schema the one this code expects?).
import type { Store } from "../store.js";

/** Safe under concurrency: a single read; 0 when no migration is recorded. */
export async function getSchemaVersion(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom("hangar_migrations")
    .select((eb) => eb.fn.max("version").as("version"))
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}
