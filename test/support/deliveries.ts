// A webhook as GitHub sends it, followed until the server's intake queue has taken it: the server answers 202 once
// the delivery is queued, and its runs exist only after that.
import { setTimeout as sleep } from "node:timers/promises";
import { getDelivery, type Delivery, type Store } from "../../src/store/index.js";
import { sendWebhook, type WebhookDelivery, type WebhookResponse } from "./fake-github.js";

/**
 * The delivery once it is handled or has failed for good (a retry still pending keeps waiting). A handled one is
 * returned once a server has started each of its runs, so a test may then wait on that server's launcher.
 */
export async function takenDelivery(store: Store, deliveryId: string, ms = 60_000): Promise<Delivery> {
  const deadline = Date.now() + ms;
  for (;;) {
    const delivery = await getDelivery(store, deliveryId);
    if (delivery?.status === "failed") return delivery;
    if (delivery?.status === "handled" && (await areStarted(store, delivery.runIds))) return delivery;
    if (Date.now() > deadline) {
      throw new Error(`delivery ${deliveryId} was not taken in ${ms} ms: ${JSON.stringify(delivery)}`);
    }
    await sleep(2);
  }
}

/** The runs are recorded before a server starts them: started ones have an orchestrator, or have ended. */
async function areStarted(store: Store, runIds: readonly number[]): Promise<boolean> {
  if (runIds.length === 0) return true;
  const rows = await store.db
    .selectFrom("runs")
    .select(["status", "orchestrator"])
    .where("id", "in", runIds)
    .execute();
  return rows.every((row) => row.status === "completed" || row.orchestrator !== null);
}

export interface TakenWebhook extends WebhookResponse {
  /** Set when the server queued it (202): the delivery as the intake queue left it. */
  taken?: Delivery;
}

/** Sends the webhook; a queued one (202) is followed until taken, and a failed one throws with its error. */
export async function deliverWebhook(
  store: Store,
  url: string,
  delivery: WebhookDelivery,
): Promise<TakenWebhook> {
  const answer = await sendWebhook(url, delivery);
  if (answer.status !== 202) return answer;
  const taken = await takenDelivery(store, answer.deliveryId);
  if (taken.status === "failed") throw new Error(`delivery ${taken.deliveryId} failed: ${taken.error}`);
  return { ...answer, taken };
}

/** The runs a webhook made, in order; throws unless the server queued it and took it. */
export async function webhookRuns(store: Store, url: string, delivery: WebhookDelivery): Promise<number[]> {
  const answer = await deliverWebhook(store, url, delivery);
  if (!answer.taken) throw new Error(`webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.taken.runIds;
}
