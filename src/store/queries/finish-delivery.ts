// Ends a claimed delivery's attempt: its runs recorded with it in one transaction (handled), or its error kept with a
// later attempt scheduled or none left (failed).
import type { Kysely, UpdateObject } from "kysely";
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import type { IntakeFindings, Run } from "../records.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { insertRunInTransaction, type NewRunInput } from "./insert-run.js";
import { recordEvent } from "./record-event.js";
import { transitionRunInTransaction } from "./transition-run.js";

/** The runs one event makes: those its workflows trigger, and failed ones for invalid workflow files. */
export interface IntakeRuns {
  triggered: readonly NewRunInput[];
  /** GitHub records an invalid workflow file as a run that failed with the file's problems. */
  invalid: readonly { run: NewRunInput; message: string }[];
  findings: IntakeFindings;
}

/** The delivery the runs come from, as claimed by `owner`. */
export interface DeliveryLease {
  id: number;
  deliveryId: string;
  owner: string;
}

/**
 * Records an event's runs, and with a delivery marks it handled in the same transaction: a server that dies between
 * the two cannot leave runs whose delivery is taken again. Runs start queued with no orchestrator; the caller starts
 * them (or the orchestration sweep adopts them).
 *
 * Safe under concurrency: the delivery's UPDATE re-checks that `owner` still holds it, else QUEUE_LEASE_LOST and
 * nothing is recorded (another server took it after this one's lease lapsed).
 */
export async function recordIntakeRuns(
  store: Store,
  runs: IntakeRuns,
  delivery?: DeliveryLease,
): Promise<{ triggered: Run[]; invalid: Run[] }> {
  return runInTransaction(store, async (trx) => {
    const triggered: Run[] = [];
    for (const input of runs.triggered) triggered.push((await insertRunInTransaction(store, trx, input)).run);
    const invalid: Run[] = [];
    for (const { run: input, message } of runs.invalid) {
      const { run } = await insertRunInTransaction(store, trx, input);
      const change = { to: "completed", conclusion: "failure", actor: "hangar", message } as const;
      invalid.push(await transitionRunInTransaction(store, trx, run.id, change));
    }
    if (delivery) {
      const runIds = [...triggered, ...invalid].map((run) => run.id);
      await markHandled(store, trx, delivery, runIds, runs.findings);
    }
    return { triggered, invalid };
  });
}

async function markHandled(
  store: Store,
  trx: Kysely<Database>,
  delivery: DeliveryLease,
  runIds: number[],
  findings: IntakeFindings,
): Promise<void> {
  await endAttempt(trx, delivery, {
    status: "handled",
    run_ids: JSON.stringify(runIds),
    result: JSON.stringify(findings),
    handled_at: sqlNow(store.dialect),
    next_attempt_at: null,
  });
  await recordEvent(trx, {
    action: "delivery:handled",
    resourceType: "delivery",
    resourceId: delivery.deliveryId,
    actor: "hangar",
    payload: { deliveryId: delivery.deliveryId, runs: runIds },
  });
}

/**
 * Records why an attempt failed: with `retryInMs` the delivery is queued again for then, without it it has failed
 * for good (and stays visible with its error until a redelivery or an operator queues it again).
 */
export async function failDeliveryAttempt(
  store: Store,
  delivery: DeliveryLease,
  failure: { error: string; retryInMs?: number },
): Promise<void> {
  await runInTransaction(store, async (trx) => {
    const isFinal = failure.retryInMs === undefined;
    const attempts = await endAttempt(trx, delivery, {
      status: isFinal ? "failed" : "queued",
      error: failure.error,
      next_attempt_at: isFinal ? null : sqlNowPlusMs(store.dialect, failure.retryInMs!),
    });
    if (!isFinal) return;
    await recordEvent(trx, {
      action: "delivery:failed",
      resourceType: "delivery",
      resourceId: delivery.deliveryId,
      actor: "hangar",
      payload: { deliveryId: delivery.deliveryId, attempts, error: failure.error },
    });
  });
}

/**
 * Ends the attempt `delivery.owner` holds with `change`, releasing its lease; QUEUE_LEASE_LOST when it holds none.
 * Returns the delivery's attempts so far.
 */
async function endAttempt(
  trx: Kysely<Database>,
  delivery: DeliveryLease,
  change: UpdateObject<Database, "webhook_deliveries">,
): Promise<number> {
  const row = await trx
    .updateTable("webhook_deliveries")
    .set({ ...change, lease_owner: null, lease_expires_at: null })
    .where("id", "=", delivery.id)
    .where("status", "=", "in_progress")
    .where("lease_owner", "=", delivery.owner)
    .returning("attempts")
    .executeTakeFirst();
  if (!row) {
    throw new StoreError(
      "QUEUE_LEASE_LOST",
      `delivery ${delivery.deliveryId} is no longer leased to ${delivery.owner}`,
    );
  }
  return row.attempts;
}
