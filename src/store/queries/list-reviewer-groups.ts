// Reads reviewer groups, all or the named ones.
import type { Store } from "../store.js";
import type { ReviewerGroup } from "./save-reviewer-group.js";

/** Safe under concurrency: a single read. */
export async function listReviewerGroups(store: Store, names?: readonly string[]): Promise<ReviewerGroup[]> {
  if (names?.length === 0) return [];
  let query = store.db.selectFrom("reviewer_groups").select(["name", "users"]).orderBy("name");
  if (names) query = query.where("name", "in", [...names]);
  const rows = await query.execute();
  return rows.map((row) => ({ name: row.name, users: JSON.parse(row.users) as string[] }));
}
