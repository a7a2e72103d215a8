// Lists runs newest first with filters and keyset pagination (stable while new runs arrive, unlike OFFSET).
import { toRun, type Run } from "../records.js";
import type { RunStatus } from "../../contracts/index.js";
import type { Store } from "../store.js";

export interface ListRunsFilter {
  repositoryId?: number;
  workflowFile?: string;
  event?: string;
  ref?: string;
  actor?: string;
  status?: RunStatus;
  /** The `nextCursor` of the previous page. */
  cursor?: number;
  /** Page size, 1 to 100 (default 25). */
  limit?: number;
}

/** Safe under concurrency: a single read ordered by id, so a page never repeats or skips a run inserted meanwhile. */
export async function listRuns(
  store: Store,
  filter: ListRunsFilter = {},
): Promise<{ runs: Run[]; nextCursor?: number }> {
  const limit = Math.min(100, Math.max(1, filter.limit ?? 25));
  let query = store.db.selectFrom("runs").selectAll();
  if (filter.repositoryId !== undefined) query = query.where("repository_id", "=", filter.repositoryId);
  if (filter.workflowFile !== undefined) query = query.where("workflow_file", "=", filter.workflowFile);
  if (filter.event !== undefined) query = query.where("event", "=", filter.event);
  if (filter.ref !== undefined) query = query.where("ref", "=", filter.ref);
  if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
  if (filter.status !== undefined) query = query.where("status", "=", filter.status);
  if (filter.cursor !== undefined) query = query.where("id", "<", filter.cursor);
  const rows = await query
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const runs = rows.slice(0, limit).map(toRun);
  return rows.length > limit ? { runs, nextCursor: runs[runs.length - 1]!.id } : { runs };
}
