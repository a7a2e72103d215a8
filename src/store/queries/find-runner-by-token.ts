// Finds the registered runner a runner token belongs to (the runner protocol's authentication).
import type { Selectable } from "kysely";
import type { RunnersTable } from "../schema.js";
import type { Store } from "../store.js";
import { hashToken } from "../runner-token.js";

export interface RunnerRecord {
  /** The runner's id as jobs.lease_owner and jobs.runner_id record it. */
  id: string;
  name: string;
  /** Lower-cased, sorted labels. */
  labels: string[];
  /** Takes one job, then is done (`hangar runner run --once`). */
  isEphemeral: boolean;
  createdAt: string;
}

export function toRunnerRecord(row: Selectable<RunnersTable>): RunnerRecord {
  return {
    id: String(row.id),
    name: row.name,
    labels: JSON.parse(row.labels) as string[],
    isEphemeral: row.ephemeral === 1,
    createdAt: row.created_at,
  };
}

/** Safe under concurrency: a single read of an immutable row. */
export async function findRunnerByToken(store: Store, token: string): Promise<RunnerRecord | undefined> {
  const row = await store.db
    .selectFrom("runners")
    .selectAll()
    .where("token_hash", "=", hashToken(token))
    .executeTakeFirst();
  return row && toRunnerRecord(row);
}
