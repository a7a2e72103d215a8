// Forgets a delivery that failed before it created anything, so GitHub's redelivery (same id) is taken again.
import type { Store } from "../store.js";

export async function forgetDelivery(store: Store, deliveryId: string): Promise<void> {
  await store.db.deleteFrom("webhook_deliveries").where("delivery_id", "=", deliveryId).execute();
}
