// Notes the runs a delivery created, so a delivery can be traced to what it started.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export async function recordDeliveryRuns(
  store: Store,
  deliveryId: string,
  runIds: readonly number[],
): Promise<void> {
  await runInTransaction(store, async (trx) => {
    await trx
      .updateTable("webhook_deliveries")
      .set({ run_ids: JSON.stringify(runIds) })
      .where("delivery_id", "=", deliveryId)
      .execute();
    await recordEvent(trx, {
      action: "delivery:handled",
      resourceType: "delivery",
      resourceId: deliveryId,
      actor: "hangar",
      payload: { deliveryId, runs: [...runIds] },
    });
  });
}
