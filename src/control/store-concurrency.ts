// The server's concurrency groups, held in the store so that every replica on one database (and a restarted server)
// sees the same groups, scoped per repository as on GitHub. Waiters wake on the store's concurrency notifications,
// with a safety poll; the slot table is the truth. Owns only this process's holders: it never runs or stops engines
// itself, it asks the launcher (run holders) or the holder's own cancel (job holders).
import type { Admission, ConcurrencyControl, ConcurrencyRequest } from "../engine/index.js";
import {
  acquireConcurrencySlot,
  isSameHolder,
  listConcurrencySlots,
  listenForConcurrency,
  releaseConcurrencySlot,
  type ConcurrencyHolder,
  type ConcurrencySlot,
  type JobListener,
  type SlotAcquisition,
  type Store,
} from "../store/index.js";

export interface StoreConcurrencyOptions {
  store: Store;
  /**
   * A run's cancel was requested in the store because a newer holder replaced or cancelled it: its orchestrator (this
   * server's launcher, or another server's through the cluster) must stop it.
   */
  onRunCancelRequested: (runId: number) => void;
  /** A job row was cancelled in the store: wake whoever follows it. */
  onJobCancelled: (jobRowId: number) => void;
  log: (message: string, details?: Record<string, unknown>) => void;
  /** The safety-net poll (default 5 s) in case a notification is lost. */
  pollMs?: number;
}

export interface StoreConcurrency {
  /** The groups as one attempt of one repository's run sees them. */
  forRun(run: { id: number; attempt: number; repositoryId: number }): ConcurrencyControl;
  close(): Promise<void>;
}

/** A holder of this process: its run's engine is here. */
interface LocalHolder {
  repositoryId: number;
  groupKey: string;
  holder: ConcurrencyHolder;
  state: "pending" | "running";
  cancel: () => void;
  isCancelled: boolean;
  /** Settles a pending holder's acquire. */
  settle?: (admission: Admission) => void;
}

const acquireAttempts = 3;

export async function startStoreConcurrency(options: StoreConcurrencyOptions): Promise<StoreConcurrency> {
  const { store } = options;
  const local = new Set<LocalHolder>();

  const stopHolder = (entry: LocalHolder) => {
    if (entry.isCancelled) return;
    entry.isCancelled = true;
    // A run holder goes through the launcher, which cancels each run's engine once however the request reached it.
    if (entry.holder.jobKey === null) options.onRunCancelRequested(entry.holder.runId);
    else entry.cancel();
  };

  const release = async (entry: LocalHolder) => {
    local.delete(entry);
    await releaseConcurrencySlot(store, entry).catch((error: unknown) =>
      // The run's completion releases whatever it still holds.
      options.log("cannot release a concurrency group", { group: entry.groupKey, error: String(error) }),
    );
  };

  const admit = (entry: LocalHolder): Admission => {
    entry.state = "running";
    return { admitted: true, release: () => release(entry) };
  };

  const check = async () => {
    const entries = [...local];
    if (entries.length === 0) return;
    const slots = await listConcurrencySlots(store, entries);
    for (const entry of entries) {
      if (!local.has(entry)) continue;
      const slot = slots.find((s) => s.repositoryId === entry.repositoryId && s.groupKey === entry.groupKey);
      const role = slot ? roleIn(slot, entry.holder) : undefined;
      if (entry.state === "pending") {
        if (role === "pending") continue;
        if (role === "running") {
          entry.settle?.(admit(entry));
        } else {
          // Replaced by a newer holder (or released with its run): it never runs.
          local.delete(entry);
          entry.settle?.({ admitted: false });
          continue;
        }
      }
      if (role === "running" && slot?.isRunningCancelRequested) stopHolder(entry);
    }
  };

  let checking: Promise<void> | undefined;
  let isCheckDue = false;
  const scheduleCheck = () => {
    isCheckDue = true;
    if (checking) return;
    checking = (async () => {
      while (isCheckDue) {
        isCheckDue = false;
        await check().catch((error: unknown) =>
          options.log("cannot read concurrency groups", { error: String(error) }),
        );
      }
    })().finally(() => (checking = undefined));
  };

  const listener: JobListener = await listenForConcurrency(store, scheduleCheck, {
    safetyPollMs: options.pollMs ?? 5_000,
    onError: (error) =>
      options.log("concurrency listener lost its connection; reconnecting", { error: String(error) }),
  });

  const acquireSlot = async (request: Parameters<typeof acquireConcurrencySlot>[1]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await acquireConcurrencySlot(store, request);
      } catch (error) {
        // PostgreSQL may pick this transaction as a deadlock victim; the slot row is the truth, so try again.
        if (attempt >= acquireAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  };

  const wakeCancelled = (acquisition: SlotAcquisition) => {
    for (const runId of acquisition.cancelledRuns) options.onRunCancelRequested(runId);
    for (const job of acquisition.cancelledJobs) options.onJobCancelled(job.id);
  };

  const acquire = async (
    run: { id: number; attempt: number; repositoryId: number },
    request: ConcurrencyRequest,
  ): Promise<Admission> => {
    if (request.signal?.aborted) return { admitted: false };
    const entry: LocalHolder = {
      repositoryId: run.repositoryId,
      groupKey: request.group.toLowerCase(),
      holder: { runId: run.id, attempt: run.attempt, jobKey: request.jobKey ?? null },
      state: "pending",
      cancel: () => request.cancel(),
      isCancelled: false,
    };
    const acquisition = await acquireSlot({
      repositoryId: entry.repositoryId,
      groupKey: entry.groupKey,
      groupName: request.group,
      holder: entry.holder,
      cancelInProgress: request.cancelInProgress,
    });
    wakeCancelled(acquisition);
    if (acquisition.state === "finished") return { admitted: true, release: async () => undefined };
    local.add(entry);
    if (acquisition.state === "running") {
      const admission = admit(entry);
      // A resumed run may hold a group whose newer holder asked it to stop while its server was gone.
      if (acquisition.isCancelRequested) stopHolder(entry);
      return admission;
    }
    request.onWait?.();
    const settled = new Promise<Admission>((resolve) => (entry.settle = resolve));
    const onAbort = () => {
      if (entry.state !== "pending" || !local.has(entry)) return;
      entry.settle?.({ admitted: false });
      void release(entry);
    };
    request.signal?.addEventListener("abort", onAbort, { once: true });
    // Whatever changed between the acquisition's commit and this registration.
    scheduleCheck();
    const admission = await settled;
    request.signal?.removeEventListener("abort", onAbort);
    return admission;
  };

  return {
    forRun: (run) => ({ acquire: (request) => acquire(run, request) }),
    async close() {
      await listener.close();
      await checking;
    },
  };
}

function roleIn(slot: ConcurrencySlot, holder: ConcurrencyHolder): "running" | "pending" | undefined {
  if (isSameHolder(slot.running, holder)) return "running";
  if (isSameHolder(slot.pending, holder)) return "pending";
  return undefined;
}
