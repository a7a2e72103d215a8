// Records a verified webhook delivery with its payload in the intake queue, where any server replica takes it.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";
import { offerColumns, requeueDeliveryInTransaction, type DeliveryOffer } from "./requeue-delivery.js";

export interface NewDelivery {
  /** GitHub's X-GitHub-Delivery, the same on a redelivery; the scheduler makes one per scheduled time. */
  deliveryId: string;
  event: string;
  repositoryId: number;
  payload: Record<string, unknown>;
  /** Who sent it: GitHub for webhooks (the default), the scheduler for a scheduled time. */
  actor?: string;
  /** The server that received it, which takes it before any other may. */
  offer?: DeliveryOffer;
}

/**
 * `queued`: new. `requeued`: the id had failed for good and is queued again (GitHub's "Redeliver" after a failure).
 * `duplicate`: the id is queued, being taken or handled, so nothing changes.
 */
export type EnqueueOutcome = "queued" | "requeued" | "duplicate";

/**
 * Safe under concurrency: insert-if-absent on the unique delivery id, so exactly one caller queues an id; a requeue
 * re-checks status = failed. The audit event commits with the row.
 */
export async function enqueueDelivery(store: Store, delivery: NewDelivery): Promise<EnqueueOutcome> {
  const actor = delivery.actor ?? "github";
  return runInTransaction(store, async (trx) => {
    const inserted = await trx
      .insertInto("webhook_deliveries")
      .values({
        delivery_id: delivery.deliveryId,
        event: delivery.event,
        run_ids: "[]",
        status: "queued",
        repository_id: delivery.repositoryId,
        actor,
        payload: JSON.stringify(delivery.payload),
        ...offerColumns(store, delivery.offer),
      })
      .onConflict((conflict) => conflict.column("delivery_id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted === undefined) {
      const request = { actor, offer: delivery.offer };
      return (await requeueDeliveryInTransaction(store, trx, delivery.deliveryId, request))
        ? "requeued"
        : "duplicate";
    }
    await recordEvent(trx, {
      action: "delivery:received",
      resourceType: "delivery",
      resourceId: delivery.deliveryId,
      actor,
      payload: { deliveryId: delivery.deliveryId, event: delivery.event },
    });
    return "queued";
  });
}
