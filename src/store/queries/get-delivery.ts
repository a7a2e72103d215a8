// Reads one webhook delivery by GitHub's id (X-GitHub-Delivery) or the scheduler's.
import type { Store } from "../store.js";
import { toDelivery, type Delivery } from "../records.js";

export async function getDelivery(store: Store, deliveryId: string): Promise<Delivery | undefined> {
  const row = await store.db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("delivery_id", "=", deliveryId)
    .executeTakeFirst();
  return row && toDelivery(row);
}
