// runInTransaction on a real PostgreSQL: a transaction the server ends as a deadlock victim runs again and commits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { runInTransaction } from "../../src/store/transaction.js";
import { openTestStore } from "./test-stores.js";

test("two transactions that lock two rows in opposite orders both commit: the deadlock victim is run again", async () => {
  const store = await openTestStore("postgres");
  await sql`create table lock_order_probe (id integer primary key, writes integer not null default 0)`.execute(
    store.db,
  );
  await sql`insert into lock_order_probe (id) values (1), (2)`.execute(store.db);
  let firstLocks = 0;
  let bothLockedFirstRow: () => void = () => undefined;
  const bothLocked = new Promise<void>((resolve) => (bothLockedFirstRow = resolve));
  let attempts = 0;
  const lockInOrder = (first: number, second: number) =>
    runInTransaction(store, async (trx) => {
      attempts++;
      await sql`update lock_order_probe set writes = writes + 1 where id = ${first}`.execute(trx);
      if (++firstLocks === 2) bothLockedFirstRow();
      await bothLocked;
      await sql`update lock_order_probe set writes = writes + 1 where id = ${second}`.execute(trx);
    });
  await Promise.all([lockInOrder(1, 2), lockInOrder(2, 1)]);
  // Three runs: both first attempts, then the victim's second; each row counts one write per committed transaction.
  assert.equal(attempts, 3);
  const rows = await sql<{
    id: number;
    writes: number;
  }>`select id, writes from lock_order_probe order by id`.execute(store.db);
  assert.deepEqual(rows.rows, [
    { id: 1, writes: 2 },
    { id: 2, writes: 2 },
  ]);
});
