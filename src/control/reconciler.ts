// Finds pushes and pull request changes whose webhooks never arrived (GitHub does not guarantee delivery): at start and
// then on an interval, each repository's recent activity read through GitHub's API is compared with the deliveries
// recorded, and what is missing is queued as a reconciled delivery, once, whichever replica finds it first.
import {
  listRepositoryActivity,
  type GitHubClient,
  type RepositoryActivity,
} from "../integrations/github/index.js";
import {
  listDeliveryPayloads,
  listRepositories,
  type EnqueueOutcome,
  type NewDelivery,
  type Repository,
  type Store,
} from "../store/index.js";

export interface ReconcilerOptions {
  store: Store;
  client: GitHubClient;
  enqueue(delivery: NewDelivery): Promise<EnqueueOutcome>;
  /** Between passes (default 5 min); each wait is jittered between half and one and a half times it. */
  intervalMs?: number;
  /** How far back to look (default 24 h); never before the repository was registered. */
  lookbackMs?: number;
  /** Activity younger than this is left for its webhook, which may still be on its way (default 2 min). */
  settleMs?: number;
  log: (message: string, details?: Record<string, unknown>) => void;
}

export interface Reconciler {
  /** One pass over every repository; the deliveries it queued. */
  reconcile(): Promise<string[]>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** The delivery id of reconciled activity: GitHub's event id, so the same activity is queued once. */
export function reconciledDeliveryId(activity: RepositoryActivity): string {
  return `reconciled:${activity.event}:${activity.id}`;
}

export function startReconciler(options: ReconcilerOptions): Reconciler {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  const lookbackMs = options.lookbackMs ?? 24 * 60 * 60_000;
  const settleMs = options.settleMs ?? 2 * 60_000;

  const reconcileRepository = async (repository: Repository, now: number): Promise<string[]> => {
    // GitHub's event times are whole seconds: an event in the second the repository was registered counts.
    const registeredAt = Math.floor(Date.parse(repository.createdAt) / 1000) * 1000;
    const since = new Date(Math.max(registeredAt, now - lookbackMs));
    const activity = (await listRepositoryActivity(options.client, repository.name, since)).filter(
      (item) => now - Date.parse(item.createdAt) >= settleMs,
    );
    if (activity.length === 0) return [];
    // A webhook can be received a little before GitHub timestamps its event.
    const delivered = await listDeliveryPayloads(options.store, {
      repositoryId: repository.id,
      events: ["push", "pull_request"],
      since: new Date(since.getTime() - 60 * 60_000).toISOString(),
    });
    const seen = new Set(delivered.map((delivery) => identityOf(delivery.event, delivery.payload)));
    const queued: string[] = [];
    // Oldest first, so runs are numbered in the order the activity happened.
    for (const item of [...activity].reverse()) {
      if (seen.has(identityOf(item.event, item.payload))) continue;
      const deliveryId = reconciledDeliveryId(item);
      const outcome = await options.enqueue({
        deliveryId,
        event: item.event,
        repositoryId: repository.id,
        payload: item.payload,
        actor: "hangar:reconcile",
      });
      if (outcome === "duplicate") continue;
      options.log("queued a delivery GitHub did not send", { repository: repository.name, deliveryId });
      queued.push(deliveryId);
    }
    return queued;
  };

  const reconcile = async (): Promise<string[]> => {
    const queued: string[] = [];
    const now = Date.now();
    for (const repository of await listRepositories(options.store)) {
      try {
        queued.push(...(await reconcileRepository(repository, now)));
      } catch (error) {
        options.log("cannot reconcile deliveries", { repository: repository.name, error: String(error) });
      }
    }
    return queued;
  };

  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  let passing: Promise<unknown> = reconcile();
  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(
      () => {
        passing = reconcile().finally(schedule);
      },
      intervalMs * (0.5 + Math.random()),
    );
  };
  void passing.finally(schedule);
  return {
    reconcile,
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await passing.catch(() => undefined);
    },
  };
}

/** What makes two deliveries the same activity: a push's ref and commit; a pull request's number, action and head. */
function identityOf(event: string, payload: Record<string, unknown>): string {
  if (event === "push") return `push ${String(payload["ref"])} ${String(payload["after"])}`;
  const pullRequest = payload["pull_request"] as { head?: { sha?: unknown } } | undefined;
  return `${event} ${String(payload["number"])} ${String(payload["action"])} ${String(pullRequest?.head?.sha)}`;
}
