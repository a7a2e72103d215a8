// Records a webhook delivery by its X-GitHub-Delivery id; GitHub redelivers with the same id, which must run nothing.
import type { Store } from "../store.js";

export interface DeliveryInput {
  deliveryId: string;
  event: string;
  runIds?: readonly number[];
}

/** Safe under concurrency: insert-if-absent on the unique delivery id; exactly one caller sees `isNew: true`. */
export async function recordDelivery(store: Store, input: DeliveryInput): Promise<{ isNew: boolean }> {
  const row = await store.db
    .insertInto("webhook_deliveries")
    .values({
      delivery_id: input.deliveryId,
      event: input.event,
      run_ids: JSON.stringify(input.runIds ?? []),
    })
    .onConflict((conflict) => conflict.column("delivery_id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return { isNew: row !== undefined };
}
