// Records one reviewer's decision on jobs waiting at an environment's gate, one row and one event per job.
import type { EventAction } from "../../contracts/index.js";
import { toApproval, type Approval, type ApprovalDecision } from "../environment-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface ApprovalInput {
  runId: number;
  attempt: number;
  environment: string;
  jobKeys: readonly string[];
  decision: ApprovalDecision;
  actor: string;
  comment?: string;
}

/** Contract: the event each decision records. */
export const APPROVAL_EVENTS: Record<ApprovalDecision, EventAction> = {
  approved: "approval:granted",
  rejected: "approval:rejected",
  bypassed: "environment:bypassed",
};

/** Safe under concurrency: inserts of fresh rows; gates read every decision and let the first rejection win. */
export async function recordApprovals(store: Store, input: ApprovalInput): Promise<Approval[]> {
  if (input.jobKeys.length === 0) return [];
  return runInTransaction(store, async (trx) => {
    const rows = await trx
      .insertInto("approvals")
      .values(
        input.jobKeys.map((jobKey) => ({
          run_id: input.runId,
          attempt: input.attempt,
          job_key: jobKey,
          environment: input.environment,
          decision: input.decision,
          actor: input.actor,
          comment: input.comment ?? "",
        })),
      )
      .returningAll()
      .execute();
    const approvals = rows.map(toApproval).sort((a, b) => a.id - b.id);
    for (const approval of approvals) {
      await recordEvent(trx, {
        action: APPROVAL_EVENTS[approval.decision],
        resourceType: "approval",
        resourceId: approval.id,
        actor: approval.actor,
        traceId: `${approval.runId}-${approval.attempt}`,
        status: approval.decision,
        payload: {
          runId: approval.runId,
          attempt: approval.attempt,
          job: approval.jobKey,
          environment: approval.environment,
          decision: approval.decision,
          comment: approval.comment,
        },
      });
    }
    return approvals;
  });
}
