// GitHub's concurrency groups (docs "Control the concurrency of workflows and jobs"): per group at most one
// running and one pending; a newer pending one cancels the older pending; cancel-in-progress cancels the running one.
// The engine asks a ConcurrencyControl; this file's in-memory one serves `hangar run`, the server supplies its own.
// Hand-written: the rule is GitHub's own, not a generic lock or queue a library offers.

/** One run (no `jobKey`) or one job instance asking to enter a group. */
export interface ConcurrencyRequest {
  /** The group's name as evaluated; names compare case-insensitively, as on GitHub. */
  group: string;
  cancelInProgress: boolean;
  /** The job instance's key for a job's own group; absent for the workflow's group. */
  jobKey?: string;
  /** Ends this holder's run or job; called when a newer one replaces it. */
  cancel(): void;
  /** Called at once when the holder has to wait. */
  onWait?(): void;
  /** Aborted while the holder waits: it leaves the group unadmitted. */
  signal?: AbortSignal;
}

export type Admission = { admitted: true; release: () => Promise<void> } | { admitted: false };

/** Admits holders to concurrency groups; the server's implementation spans its replicas. */
export interface ConcurrencyControl {
  /** Resolves when the holder may run, or with `admitted: false` when it was replaced or aborted while waiting. */
  acquire(request: ConcurrencyRequest): Promise<Admission>;
}

interface Holder {
  cancel(): void;
}

interface Group {
  running?: Holder;
  pending?: { holder: Holder; admit: (admission: Admission) => void };
}

export class ConcurrencyGroups implements ConcurrencyControl {
  private readonly groups = new Map<string, Group>();

  acquire(request: ConcurrencyRequest): Promise<Admission> {
    if (request.signal?.aborted) return Promise.resolve({ admitted: false });
    const key = request.group.toLowerCase();
    const holder: Holder = { cancel: () => request.cancel() };
    const group = this.groups.get(key) ?? {};
    this.groups.set(key, group);
    if (!group.running) {
      group.running = holder;
      return Promise.resolve(this.admission(key, holder));
    }
    group.pending?.admit({ admitted: false });
    group.pending?.holder.cancel();
    if (request.cancelInProgress) group.running.cancel();
    request.onWait?.();
    return new Promise((resolve) => {
      const onAbort = () => {
        if (group.pending?.holder !== holder) return;
        group.pending = undefined;
        resolve({ admitted: false });
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });
      group.pending = {
        holder,
        admit: (admission) => {
          request.signal?.removeEventListener("abort", onAbort);
          resolve(admission);
        },
      };
    });
  }

  private admission(key: string, holder: Holder): Admission {
    return {
      admitted: true,
      release: async () => this.release(key, holder),
    };
  }

  private release(key: string, holder: Holder): void {
    const group = this.groups.get(key);
    if (!group || group.running !== holder) return;
    const next = group.pending;
    group.pending = undefined;
    group.running = next?.holder;
    if (next) next.admit(this.admission(key, next.holder));
    else this.groups.delete(key);
  }
}
