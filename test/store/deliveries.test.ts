// Webhook deliveries on both dialects: a redelivered id is recorded once and reported as not new.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { forgetDelivery, recordDelivery, recordDeliveryRuns } from "../../src/store/index.js";
import { DIALECTS, openTestStore } from "./test-stores.js";

for (const dialect of DIALECTS) {
  describe(`webhook deliveries (${dialect})`, () => {
    test("the same delivery id twice: only the first is new", async () => {
      const store = await openTestStore(dialect);
      const delivery = { deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", event: "push", runIds: [1] };
      assert.deepEqual(await recordDelivery(store, delivery), { isNew: true });
      assert.deepEqual(await recordDelivery(store, delivery), { isNew: false });
      assert.deepEqual(await recordDelivery(store, { ...delivery, deliveryId: "other" }), { isNew: true });
      const rows = await store.db.selectFrom("webhook_deliveries").select("delivery_id").execute();
      assert.equal(rows.length, 2);
    });

    test("concurrent deliveries of one id: exactly one is new", async () => {
      const store = await openTestStore(dialect);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => recordDelivery(store, { deliveryId: "same", event: "push" })),
      );
      assert.equal(results.filter((result) => result.isNew).length, 1);
    });

    test("a delivery notes the runs it created; a forgotten one is new again", async () => {
      const store = await openTestStore(dialect);
      await recordDelivery(store, { deliveryId: "d-1", event: "push" });
      await recordDeliveryRuns(store, "d-1", [4, 5]);
      const row = await store.db
        .selectFrom("webhook_deliveries")
        .select("run_ids")
        .where("delivery_id", "=", "d-1")
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(row.run_ids), [4, 5]);
      await forgetDelivery(store, "d-1");
      assert.deepEqual(await recordDelivery(store, { deliveryId: "d-1", event: "push" }), { isNew: true });
    });
  });
}
