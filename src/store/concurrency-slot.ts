// The decoded shape of a concurrency_slots row and the holder identity the concurrency queries compare and record.
import type { Kysely, Selectable } from "kysely";
import { recordEvent } from "./queries/record-event.js";
import type { ConcurrencySlotsTable, Database } from "./schema.js";

/** A run attempt (the workflow's group, `jobKey` null) or one job instance of it (a job's own group). */
export interface ConcurrencyHolder {
  runId: number;
  attempt: number;
  jobKey: string | null;
}

/** One repository's group: its running holder and the one pending holder waiting behind it. */
export interface ConcurrencySlot {
  repositoryId: number;
  /** The group's name lower-cased. */
  groupKey: string;
  groupName: string;
  running: ConcurrencyHolder;
  /** A newer holder's cancel-in-progress asked the running one to stop. */
  isRunningCancelRequested: boolean;
  pending: ConcurrencyHolder | null;
}

/** Contract: the events a group's changes record, each about the holder's run. */
export const CONCURRENCY_EVENTS = {
  admitted: "concurrency:admitted",
  queued: "concurrency:queued",
  replaced: "concurrency:replaced",
  cancelRequested: "concurrency:cancel-requested",
  released: "concurrency:released",
} as const;

export function toConcurrencySlot(row: Selectable<ConcurrencySlotsTable>): ConcurrencySlot {
  return {
    repositoryId: row.repository_id,
    groupKey: row.group_key,
    groupName: row.group_name,
    running: { runId: row.running_run_id, attempt: row.running_attempt, jobKey: row.running_job_key },
    isRunningCancelRequested: row.running_cancel_requested_at !== null,
    pending:
      row.pending_run_id === null
        ? null
        : { runId: row.pending_run_id, attempt: row.pending_attempt ?? 0, jobKey: row.pending_job_key },
  };
}

export function isSameHolder(a: ConcurrencyHolder | null, b: ConcurrencyHolder): boolean {
  return a !== null && a.runId === b.runId && a.attempt === b.attempt && a.jobKey === b.jobKey;
}

/** Records what happened to `holder` in `slot`'s group, in the caller's transaction. */
export async function recordSlotEvent(
  trx: Kysely<Database>,
  action: (typeof CONCURRENCY_EVENTS)[keyof typeof CONCURRENCY_EVENTS],
  slot: Pick<ConcurrencySlot, "repositoryId" | "groupName">,
  holder: ConcurrencyHolder,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordEvent(trx, {
    action,
    resourceType: "run",
    resourceId: holder.runId,
    actor: "hangar",
    payload: {
      repositoryId: slot.repositoryId,
      group: slot.groupName,
      runId: holder.runId,
      attempt: holder.attempt,
      ...(holder.jobKey === null ? {} : { jobKey: holder.jobKey }),
      ...details,
    },
  });
}
