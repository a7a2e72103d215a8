// The intake queue's consumer in each server replica: claims queued webhook deliveries a repository at a time, takes
// them (intake.ts), and retries a failed one with backoff until its attempts run out. Owns the timing and the leases;
// what a delivery becomes is intake's.
import { setTimeout as sleep } from "node:timers/promises";
import {
  claimDeliveries,
  failDeliveryAttempt,
  getRepositoryById,
  renewDeliveryLeases,
  type ClaimedDelivery,
  type Repository,
  type Store,
} from "../store/index.js";
import type { IntakeResult } from "./intake.js";

export interface IntakeWorkerOptions {
  store: Store;
  /** This server's instance id: the owner of the deliveries it claims. */
  instanceId: string;
  /** Takes a claimed batch of one repository (intake.ts takeDeliveries). */
  take(
    repository: Repository,
    deliveries: readonly (ClaimedDelivery & { owner: string })[],
    onFailure: (delivery: ClaimedDelivery, error: unknown) => Promise<void>,
  ): Promise<{ delivery: ClaimedDelivery; result: IntakeResult }[]>;
  /** After a delivery's runs are recorded (the scheduler re-reads schedules after a push to the default branch). */
  onHandled?(repository: Repository, delivery: ClaimedDelivery): Promise<void>;
  log: (message: string, details?: Record<string, unknown>) => void;
  /** A claim's lease (default 60 s), renewed every third of it while the batch is taken. */
  leaseMs?: number;
  /** Deliveries of one repository per claim (default 50): each claim costs one mirror fetch. */
  batchSize?: number;
  /** Batches taken at once by this server (default 2), each of one repository. */
  parallel?: number;
  /** Attempts before a delivery fails for good (default 6: about 5 minutes of backoff). */
  maxAttempts?: number;
  /** The first retry's delay (default 5 s), doubled for each attempt after it, jittered. */
  retryBaseMs?: number;
  /**
   * Re-reads the queue this often without a wake-up (default 1 s): retries that fell due, and deliveries another
   * server received and did not take within its offer (a dead or swamped replica).
   */
  pollMs?: number;
}

export interface IntakeWorker {
  /** Claims at once: this server queued a delivery (and holds its offer). */
  wake(): void;
  /** Stops claiming and waits for the batches in progress. */
  stop(): Promise<void>;
}

export function startIntakeWorker(options: IntakeWorkerOptions): IntakeWorker {
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 6;
  const retryBaseMs = options.retryBaseMs ?? 5_000;
  const stopping = new AbortController();
  // Counted, so a wake-up that comes while a loop is claiming is not lost: the loop claims again instead of sleeping.
  let wakes = 0;
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    wakes += 1;
    for (const resolve of sleepers) resolve();
    sleepers.clear();
  };
  // Other servers' deliveries are not announced: their offers keep them theirs for a while, so a poll finds them.
  const poll = setInterval(wakeAll, options.pollMs ?? 1_000);

  const fail = async (delivery: ClaimedDelivery, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const isFinal =
      delivery.attempts >= maxAttempts || (error as { isPermanent?: boolean }).isPermanent === true;
    // Exponential backoff with jitter, so replicas retrying one broken remote do not do it in step.
    const retryInMs = isFinal
      ? undefined
      : retryBaseMs * 2 ** (delivery.attempts - 1) * (0.75 + Math.random() / 2);
    options.log(isFinal ? "delivery failed" : "delivery will be retried", {
      deliveryId: delivery.deliveryId,
      attempts: delivery.attempts,
      retryInMs,
      error: message,
    });
    await failDeliveryAttempt(
      options.store,
      { id: delivery.id, deliveryId: delivery.deliveryId, owner: options.instanceId },
      { error: message, retryInMs },
    ).catch((failure: unknown) =>
      options.log("cannot record a delivery's failure", {
        deliveryId: delivery.deliveryId,
        error: String(failure),
      }),
    );
  };

  const takeBatch = async (claimed: ClaimedDelivery[]) => {
    const repository = await getRepositoryById(options.store, claimed[0]!.repositoryId);
    if (!repository) {
      const gone = Object.assign(new Error("the repository is no longer registered"), { isPermanent: true });
      for (const delivery of claimed) await fail(delivery, gone);
      return;
    }
    const owned = claimed.map((delivery) => ({ ...delivery, owner: options.instanceId }));
    const renewal = setInterval(() => {
      void renewDeliveryLeases(options.store, {
        owner: options.instanceId,
        ids: claimed.map((delivery) => delivery.id),
        leaseMs,
      }).catch((error: unknown) => options.log("cannot renew delivery leases", { error: String(error) }));
    }, leaseMs / 3);
    try {
      const taken = await options.take(repository, owned, fail);
      for (const { delivery } of taken) {
        await options
          .onHandled?.(repository, delivery)
          .catch((error: unknown) =>
            options.log("after a delivery", { deliveryId: delivery.deliveryId, error: String(error) }),
          );
      }
    } finally {
      clearInterval(renewal);
    }
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      const seen = wakes;
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimDeliveries(options.store, {
          owner: options.instanceId,
          leaseMs,
          limit: options.batchSize ?? 50,
        });
        if (claimed.length > 0) await takeBatch(claimed);
      } catch (error) {
        options.log("intake failed", { error: String(error) });
        await sleep(1_000, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
      if (claimed.length > 0 || wakes !== seen || stopping.signal.aborted) continue;
      await new Promise<void>((resolve) => sleepers.add(resolve));
    }
  };
  const loops = Array.from({ length: options.parallel ?? 2 }, () => loop());
  return {
    wake: wakeAll,
    async stop() {
      stopping.abort();
      clearInterval(poll);
      wakeAll();
      await Promise.all(loops);
    },
  };
}
