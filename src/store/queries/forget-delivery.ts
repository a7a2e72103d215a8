// Forgets a delivery that failed before it created anything, so GitHub's redelivery (same id) is taken again; the
// failure itself stays in the audit trail.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export async function forgetDelivery(store: Store, deliveryId: string): Promise<void> {
  await runInTransaction(store, async (trx) => {
    await trx.deleteFrom("webhook_deliveries").where("delivery_id", "=", deliveryId).execute();
    await recordEvent(trx, {
      action: "delivery:failed",
      resourceType: "delivery",
      resourceId: deliveryId,
      actor: "hangar",
      payload: { deliveryId },
    });
  });
}
