// Migrations on both dialects: fresh migrate, two processes migrating at once, and refusing a newer schema.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { MIGRATIONS, openStore, StoreError } from "../../src/store/index.js";
import { createTestDatabase, DIALECTS, runStoreProcesses } from "./test-stores.js";

for (const dialect of DIALECTS) {
  describe(`migrations (${dialect})`, () => {
    test("a fresh database gets every migration, each recorded once, and the views", async () => {
      const database = await createTestDatabase(dialect, { isMigrated: false });
      const store = await openStore(database.options);
      try {
        const rows = await store.db
          .selectFrom("hangar_migrations")
          .select("version")
          .orderBy("version")
          .execute();
        assert.deepEqual(
          rows.map((row) => row.version),
          MIGRATIONS.map((m) => m.version),
        );
        for (const view of ["runs_view", "jobs_view", "events_view"]) {
          const { rows: viewRows } = await sql`select count(*) as n from ${sql.table(view)}`.execute(
            store.db,
          );
          assert.equal(viewRows.length, 1, view);
        }
        // Opening again applies nothing new.
        const again = await openStore(database.options);
        await again.close();
        const count = await store.db
          .selectFrom("hangar_migrations")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow();
        assert.equal(Number(count.n), MIGRATIONS.length);
      } finally {
        await store.close();
      }
    });

    test("two processes migrating at once apply each migration exactly once", async () => {
      const database = await createTestDatabase(dialect, { isMigrated: false });
      const results = await runStoreProcesses(2, {
        kind: "migrate",
        options: database.options,
        withProbe: true,
      });
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      // The children's probe migration (version 1000) inserts one row each time it runs; reopening must not run it.
      const probe = { version: 1000, name: "probe", up: () => assert.fail("probe applied again") };
      const store = await openStore({ ...database.options, migrations: [...MIGRATIONS, probe] });
      try {
        const { rows } = await sql<{ pid: number }>`select pid from probe_runs`.execute(store.db);
        assert.equal(rows.length, 1);
      } finally {
        await store.close();
      }
    });

    test("a database migrated by a newer hangar is refused with a clear error", async () => {
      const database = await createTestDatabase(dialect);
      const store = await openStore(database.options);
      await store.db
        .insertInto("hangar_migrations")
        .values({ version: 999, name: "from-the-future" })
        .execute();
      await store.close();
      await assert.rejects(openStore(database.options), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, "STORE_SCHEMA_TOO_NEW");
        const newest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
        assert.match(
          error.message,
          new RegExp(`migration 999 \\(from-the-future\\).*knows migrations up to ${newest}`),
        );
        return true;
      });
    });
  });
}
