// The payloads of a repository's recent deliveries, for finding activity GitHub never delivered (reconciliation).
import type { Store } from "../store.js";

export interface DeliveredPayload {
  deliveryId: string;
  event: string;
  payload: Record<string, unknown>;
}

/** Deliveries of `events` received since `since` (ISO-8601), oldest first; those from before migration 13 have none. */
export async function listDeliveryPayloads(
  store: Store,
  filter: { repositoryId: number; events: readonly string[]; since: string },
): Promise<DeliveredPayload[]> {
  const rows = await store.db
    .selectFrom("webhook_deliveries")
    .select(["delivery_id", "event", "payload"])
    .where("repository_id", "=", filter.repositoryId)
    .where("event", "in", filter.events)
    .where("received_at", ">=", filter.since)
    .where("payload", "is not", null)
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    deliveryId: row.delivery_id,
    event: row.event,
    payload: JSON.parse(row.payload!) as Record<string, unknown>,
  }));
}
