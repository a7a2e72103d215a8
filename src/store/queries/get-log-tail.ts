// Reads where a job's stored log ends: its last chunk's seq and the byte offset the next chunk starts at.
import type { Store } from "../store.js";

/**
 * Safe under concurrency: a single read. A runner that claims a requeued job continues after this point, so its
 * chunks never collide with (and are never dropped as duplicates of) the previous claim's.
 */
export async function getLogTail(
  store: Store,
  jobRowId: number,
): Promise<{ seq: number; nextOffset: number }> {
  const last = await store.db
    .selectFrom("log_chunks")
    .select(["seq", "byte_offset", "text"])
    .where("job_row_id", "=", jobRowId)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return last
    ? { seq: last.seq, nextOffset: last.byte_offset + Buffer.byteLength(last.text, "utf8") }
    : { seq: 0, nextOffset: 0 };
}
