// Lists received webhook deliveries newest first, with the runs each one created, keyset-paginated by id.
import type { Store } from "../store.js";

export interface Delivery {
  id: number;
  /** GitHub's X-GitHub-Delivery. */
  deliveryId: string;
  event: string;
  receivedAt: string;
  /** The runs it created; empty when it created none or is still being taken. */
  runIds: number[];
}

/** Safe under concurrency: a single read ordered by id, so pages neither repeat nor skip. */
export async function listDeliveries(
  store: Store,
  filter: { event?: string; cursor?: number; limit?: number } = {},
): Promise<{ deliveries: Delivery[]; nextCursor?: number }> {
  const limit = Math.min(100, Math.max(1, filter.limit ?? 25));
  let query = store.db.selectFrom("webhook_deliveries").selectAll();
  if (filter.event !== undefined) query = query.where("event", "=", filter.event);
  if (filter.cursor !== undefined) query = query.where("id", "<", filter.cursor);
  const rows = await query
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const deliveries = rows.slice(0, limit).map((row) => ({
    id: row.id,
    deliveryId: row.delivery_id,
    event: row.event,
    receivedAt: row.received_at,
    runIds: JSON.parse(row.run_ids) as number[],
  }));
  return rows.length > limit
    ? { deliveries, nextCursor: deliveries[deliveries.length - 1]!.id }
    : { deliveries };
}
