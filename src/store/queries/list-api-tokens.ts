// Lists API tokens (never the tokens themselves, which are not stored), oldest first.
import { toApiTokenRecord, type ApiTokenRecord } from "../api-token-record.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read. */
export async function listApiTokens(store: Store): Promise<ApiTokenRecord[]> {
  const rows = await store.db.selectFrom("api_tokens").selectAll().orderBy("id").execute();
  return rows.map(toApiTokenRecord);
}
