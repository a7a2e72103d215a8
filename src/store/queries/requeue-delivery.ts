// Queues a delivery that failed for good again, with fresh attempts: GitHub's "Redeliver", or an operator's retry.
import type { Kysely } from "kysely";
import { sqlNowPlusMs } from "../clock.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

/**
 * The server that queues a delivery takes it first: for `ms`, no other server claims it (its mirror is warm, and the
 * replica a webhook reached is the one that orchestrates its runs). Once that lapses, any server may.
 */
export interface DeliveryOffer {
  owner: string;
  ms: number;
}

/** False when the delivery does not exist or has not failed (queued, being taken, handled). */
export function requeueDelivery(
  store: Store,
  deliveryId: string,
  request: { actor: string; offer?: DeliveryOffer },
): Promise<boolean> {
  return runInTransaction(store, (trx) => requeueDeliveryInTransaction(store, trx, deliveryId, request));
}

/** Safe under concurrency: one UPDATE that re-checks status = failed, so two retries queue it once. */
export async function requeueDeliveryInTransaction(
  store: Store,
  trx: Kysely<Database>,
  deliveryId: string,
  request: { actor: string; offer?: DeliveryOffer },
): Promise<boolean> {
  const requeued = await trx
    .updateTable("webhook_deliveries")
    .set({ status: "queued", attempts: 0, next_attempt_at: null, ...offerColumns(store, request.offer) })
    .where("delivery_id", "=", deliveryId)
    .where("status", "=", "failed")
    .returning("event")
    .executeTakeFirst();
  if (requeued === undefined) return false;
  await recordEvent(trx, {
    action: "delivery:requeued",
    resourceType: "delivery",
    resourceId: deliveryId,
    actor: request.actor,
    payload: { deliveryId, event: requeued.event },
  });
  return true;
}

/** On a queued delivery, the lease columns hold the offer: who may claim it before anyone else, and until when. */
export function offerColumns(store: Store, offer: DeliveryOffer | undefined) {
  return offer
    ? { lease_owner: offer.owner, lease_expires_at: sqlNowPlusMs(store.dialect, offer.ms) }
    : { lease_owner: null, lease_expires_at: null };
}
