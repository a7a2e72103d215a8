// The decoded shape of an artifacts row, shared by the artifact queries.
import type { Selectable } from "kysely";
import type { ArtifactsTable } from "./schema.js";

/** One artifact of a run; `id` is also the artifact-id the upload step reports. */
export interface ArtifactRecord {
  id: number;
  runId: number;
  name: string;
  /** sha256 over the artifact's file list (path, mode, content digest), hex. */
  digest: string;
  size: number;
  fileCount: number;
  createdAt: string;
  expiresAt: string | null;
}

export function toArtifactRecord(row: Selectable<ArtifactsTable>): ArtifactRecord {
  return {
    id: row.id,
    runId: row.run_id,
    name: row.name,
    digest: row.digest,
    size: row.size,
    fileCount: row.file_count,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
