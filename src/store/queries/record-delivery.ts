// Records a webhook delivery by its X-GitHub-Delivery id; GitHub redelivers with the same id, which must run nothing.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface DeliveryInput {
  deliveryId: string;
  event: string;
  runIds?: readonly number[];
  /** Who sent it: GitHub for webhooks (the default), the scheduler for a scheduled time. */
  actor?: string;
}

/**
 * Safe under concurrency: insert-if-absent on the unique delivery id; exactly one caller sees `isNew: true`, and only
 * that one writes the `delivery:received` event that opens the audit story of the runs it starts.
 */
export async function recordDelivery(store: Store, input: DeliveryInput): Promise<{ isNew: boolean }> {
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .insertInto("webhook_deliveries")
      .values({
        delivery_id: input.deliveryId,
        event: input.event,
        run_ids: JSON.stringify(input.runIds ?? []),
      })
      .onConflict((conflict) => conflict.column("delivery_id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (row === undefined) return { isNew: false };
    await recordEvent(trx, {
      action: "delivery:received",
      resourceType: "delivery",
      resourceId: input.deliveryId,
      actor: input.actor ?? "github",
      payload: { deliveryId: input.deliveryId, event: input.event },
    });
    return { isNew: true };
  });
}
