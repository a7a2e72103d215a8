// Stores a batch of a job's log chunks idempotently and returns the acknowledgement: the highest contiguous seq.
import { sql } from "kysely";
import type { LogChunk } from "../records.js";
import type { Store } from "../store.js";

/**
 * Safe under concurrency: insert-if-absent on unique (job_row_id, seq), so a resent or duplicated batch stores each
 * chunk once (first write wins); the acknowledgement is read after and only ever grows. Seqs start at 1.
 */
export async function appendLogChunks(
  store: Store,
  jobRowId: number,
  chunks: readonly LogChunk[],
): Promise<{ ackSeq: number }> {
  if (chunks.length > 0) {
    await store.db
      .insertInto("log_chunks")
      .values(
        chunks.map((c) => ({ job_row_id: jobRowId, seq: c.seq, byte_offset: c.byteOffset, text: c.text })),
      )
      .onConflict((conflict) => conflict.columns(["job_row_id", "seq"]).doNothing())
      .execute();
  }
  // The end of the first unbroken run of seqs that starts at 1 (0 while seq 1 is missing).
  const { rows } = await sql<{ ack_seq: number | string | null }>`
    select case when exists (select 1 from log_chunks where job_row_id = ${jobRowId} and seq = 1)
      then (select min(c.seq) from log_chunks c
            where c.job_row_id = ${jobRowId}
              and not exists (select 1 from log_chunks n where n.job_row_id = c.job_row_id and n.seq = c.seq + 1))
      else 0 end as ack_seq`.execute(store.db);
  return { ackSeq: Number(rows[0]?.ack_seq ?? 0) };
}
