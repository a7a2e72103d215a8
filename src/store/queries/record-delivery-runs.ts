// Records which runs a webhook delivery created, once it has been taken (recordDelivery stores it before that).
import type { Store } from "../store.js";

/** Safe under concurrency: one update of the delivery's own row, written only by the request that recorded it. */
export async function recordDeliveryRuns(
  store: Store,
  deliveryId: string,
  runIds: readonly number[],
): Promise<void> {
  await store.db
    .updateTable("webhook_deliveries")
    .set({ run_ids: JSON.stringify(runIds) })
    .where("delivery_id", "=", deliveryId)
    .execute();
}
