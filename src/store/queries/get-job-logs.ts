// Reads a job's stored log chunks in seq order, from after a given seq (for live tails and resumed downloads).
import { toLogChunk, type LogChunk } from "../records.js";
import type { Store } from "../store.js";

/** Safe under concurrency: a single read; chunks are immutable once stored. */
export async function getJobLogs(
  store: Store,
  jobRowId: number,
  options: { afterSeq?: number; limit?: number } = {},
): Promise<LogChunk[]> {
  const rows = await store.db
    .selectFrom("log_chunks")
    .select(["seq", "byte_offset", "text"])
    .where("job_row_id", "=", jobRowId)
    .where("seq", ">", options.afterSeq ?? 0)
    .orderBy("seq")
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map(toLogChunk);
}
