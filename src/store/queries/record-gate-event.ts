// Records what happens at an environment's gate that changes no row: a job starting to wait, a gate refusing a job,
// a reviewer's decision refused. The audit trail needs them; the tables hold the state.
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface GateEventInput {
  /** Contract: `approval:requested`, `approval:refused` (a decision not allowed), `deployment:refused`. */
  action: "approval:requested" | "approval:refused" | "deployment:refused";
  runId: number;
  attempt: number;
  jobKey: string;
  environment: string;
  actor: string;
  status?: string;
  details?: Record<string, unknown>;
}

/** Safe under concurrency: an insert of a fresh event row. */
export async function recordGateEvent(store: Store, input: GateEventInput): Promise<void> {
  await runInTransaction(store, async (trx) => {
    await recordEvent(trx, {
      action: input.action,
      resourceType: input.action === "deployment:refused" ? "deployment" : "approval",
      resourceId: `${input.runId}-${input.attempt}/${input.jobKey}`,
      actor: input.actor,
      traceId: `${input.runId}-${input.attempt}`,
      status: input.status ?? null,
      payload: {
        runId: input.runId,
        attempt: input.attempt,
        job: input.jobKey,
        environment: input.environment,
        ...input.details,
      },
    });
  });
}
