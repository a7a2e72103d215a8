// Records an uploaded artifact and its event in one transaction; the caller's content write runs inside it.
import { sql } from "kysely";
import { toArtifactRecord, type ArtifactRecord } from "../artifact-record.js";
import { sqlNow } from "../clock.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface NewArtifact {
  runId: number;
  name: string;
  digest: string;
  size: number;
  fileCount: number;
  expiresAt: string;
  /** The job that uploaded it and the runner that ran the job, for the event. */
  jobId: number;
  runnerId: string;
  /** upload-artifact `overwrite`: replace an unexpired artifact of the same name instead of refusing. */
  overwrite: boolean;
}

export type RecordArtifactResult = { artifact: ArtifactRecord } | { isNameTaken: true };

/** Thrown inside the transaction to roll back a replacement whose insert lost to a concurrent upload. */
class NameTaken extends Error {}

/**
 * Safe under concurrency: the unique (run_id, name) constraint lets exactly one of two uploads of a name insert.
 * `writeContent` gets the new id and runs before commit, so a failed manifest write leaves no row; only a failed
 * commit after it can leave a manifest without a row, which the next upload of the name replaces.
 */
export async function recordArtifact(
  store: Store,
  input: NewArtifact,
  writeContent: (artifact: ArtifactRecord) => Promise<void>,
): Promise<RecordArtifactResult> {
  try {
    return await runInTransaction(store, async (trx) => {
      const existing = await trx
        .selectFrom("artifacts")
        .select(["id", sql<boolean | number>`expires_at <= ${sqlNow(store.dialect)}`.as("is_expired")])
        .where("run_id", "=", input.runId)
        .where("name", "=", input.name)
        .executeTakeFirst();
      // GitHub lets an expired artifact's name be used again, as if it were gone.
      if (existing && !input.overwrite && !existing.is_expired) return { isNameTaken: true as const };
      if (existing) await trx.deleteFrom("artifacts").where("id", "=", existing.id).execute();
      const row = await trx
        .insertInto("artifacts")
        .values({
          run_id: input.runId,
          name: input.name,
          digest: input.digest,
          size: input.size,
          file_count: input.fileCount,
          expires_at: input.expiresAt,
        })
        .onConflict((conflict) => conflict.columns(["run_id", "name"]).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NameTaken();
      const artifact = toArtifactRecord(row);
      await recordEvent(trx, {
        action: "artifact:uploaded",
        resourceType: "run",
        resourceId: input.runId,
        actor: input.runnerId,
        payload: {
          artifactId: artifact.id,
          name: artifact.name,
          size: artifact.size,
          fileCount: artifact.fileCount,
          digest: artifact.digest,
          jobId: input.jobId,
          ...(existing ? { replacedArtifactId: existing.id } : {}),
        },
      });
      await writeContent(artifact);
      return { artifact };
    });
  } catch (error) {
    if (error instanceof NameTaken) return { isNameTaken: true };
    throw error;
  }
}
