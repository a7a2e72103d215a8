// Lists received webhook deliveries newest first, with where each is in the intake queue and the runs it created,
// keyset-paginated by id.
import type { DeliveryStatus } from "../../contracts/index.js";
import type { Store } from "../store.js";
import { toDelivery, type Delivery } from "../records.js";

/** Safe under concurrency: a single read ordered by id, so pages neither repeat nor skip. */
export async function listDeliveries(
  store: Store,
  filter: { event?: string; status?: DeliveryStatus; cursor?: number; limit?: number } = {},
): Promise<{ deliveries: Delivery[]; nextCursor?: number }> {
  const limit = Math.min(100, Math.max(1, filter.limit ?? 25));
  let query = store.db.selectFrom("webhook_deliveries").selectAll();
  if (filter.event !== undefined) query = query.where("event", "=", filter.event);
  if (filter.status !== undefined) query = query.where("status", "=", filter.status);
  if (filter.cursor !== undefined) query = query.where("id", "<", filter.cursor);
  const rows = await query
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const deliveries = rows.slice(0, limit).map(toDelivery);
  return rows.length > limit
    ? { deliveries, nextCursor: deliveries[deliveries.length - 1]!.id }
    : { deliveries };
}
