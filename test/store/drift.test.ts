// Drift test: each status CHECK constraint in the migrated database lists exactly the values of its TS const array.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import type { Store } from "../../src/store/index.js";
import {
  CONCLUSIONS,
  DELIVERY_STATUSES,
  JOB_STATUSES,
  RUN_STATUSES,
  STEP_STATUSES,
  STOP_REASONS,
} from "../../src/contracts/index.js";
import { DIALECTS, openTestStore } from "./test-stores.js";

const CHECKS: Record<string, { table: string; values: readonly string[] }> = {
  runs_status_check: { table: "runs", values: RUN_STATUSES },
  runs_conclusion_check: { table: "runs", values: CONCLUSIONS },
  jobs_status_check: { table: "jobs", values: JOB_STATUSES },
  jobs_conclusion_check: { table: "jobs", values: CONCLUSIONS },
  jobs_stop_reason_check: { table: "jobs", values: STOP_REASONS },
  steps_status_check: { table: "steps", values: STEP_STATUSES },
  steps_outcome_check: { table: "steps", values: CONCLUSIONS },
  steps_conclusion_check: { table: "steps", values: CONCLUSIONS },
  webhook_deliveries_status_check: { table: "webhook_deliveries", values: DELIVERY_STATUSES },
};

/** The quoted values of constraint `name`'s IN list, read back from the database's own catalogue. */
async function readCheckValues(store: Store, table: string, name: string): Promise<string[]> {
  let definition: string;
  if (store.dialect === "postgres") {
    const { rows } = await sql<{ def: string }>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${name} and contype = 'c'`.execute(
      store.db,
    );
    assert.equal(rows.length, 1, `constraint ${name} exists`);
    definition = rows[0]!.def;
  } else {
    const { rows } = await sql<{ sql: string }>`
      select sql from sqlite_master where type = 'table' and name = ${table}`.execute(store.db);
    const ddl = rows[0]!.sql;
    const at = ddl.indexOf(`"${name}"`);
    assert.ok(at >= 0, `constraint ${name} exists`);
    const list = ddl.indexOf(" in (", at);
    definition = ddl.slice(list, ddl.indexOf(")", list));
  }
  return [...definition.matchAll(/'([^']*)'/g)].map((match) => match[1]!);
}

for (const dialect of DIALECTS) {
  describe(`status CHECK constraints match statuses.ts (${dialect})`, () => {
    for (const [name, { table, values }] of Object.entries(CHECKS)) {
      test(name, async () => {
        const store = await openTestStore(dialect);
        assert.deepEqual((await readCheckValues(store, table, name)).sort(), [...values].sort());
      });
    }

    test("the database rejects a status outside the list", async () => {
      const store = await openTestStore(dialect);
      const repository = await store.db
        .insertInto("repositories")
        .values({ name: "r", git_url: "u" })
        .returning("id")
        .executeTakeFirstOrThrow();
      const run = {
        repository_id: repository.id,
        workflow_file: "ci.yml",
        workflow_name: "CI",
        event: "push",
        sha: "s",
        ref: "r",
        actor: "a",
        run_number: 1,
        attempt: 1,
        conclusion: null,
        payload: "{}",
        concurrency_group: null,
      };
      await assert.rejects(
        store.db
          .insertInto("runs")
          .values({ ...run, status: "pending" as "queued" })
          .execute(),
        /check/i,
      );
    });
  });
}
