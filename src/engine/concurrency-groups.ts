// GitHub's concurrency groups (docs "Control the concurrency of workflows and jobs"): per group at most one
// running and one pending; a newer pending one cancels the older pending; cancel-in-progress cancels the running one.
// Hand-written: the rule is GitHub's own, not a generic lock or queue a library offers.

export interface Holder {
  /** Ends this holder's run or job; called when a newer one replaces it. */
  cancel(): void;
}

export type Admission = { admitted: true; release: () => void } | { admitted: false };

interface Group {
  running?: Holder;
  pending?: { holder: Holder; admit: (admission: Admission) => void };
}

export class ConcurrencyGroups {
  private readonly groups = new Map<string, Group>();

  /**
   * Resolves when the holder may run, or with `admitted: false` when a newer one replaced it while it waited;
   * `onWait` is called at once when the holder has to wait.
   */
  acquire(name: string, holder: Holder, cancelInProgress: boolean, onWait?: () => void): Promise<Admission> {
    // Group names compare case-insensitively on GitHub.
    const key = name.toLowerCase();
    const group = this.groups.get(key) ?? {};
    this.groups.set(key, group);
    if (!group.running) {
      group.running = holder;
      return Promise.resolve({ admitted: true, release: () => this.release(key, holder) });
    }
    group.pending?.admit({ admitted: false });
    group.pending?.holder.cancel();
    if (cancelInProgress) group.running.cancel();
    onWait?.();
    return new Promise((admit) => {
      group.pending = { holder, admit };
    });
  }

  private release(key: string, holder: Holder): void {
    const group = this.groups.get(key);
    if (!group || group.running !== holder) return;
    const next = group.pending;
    group.pending = undefined;
    group.running = next?.holder;
    if (next) next.admit({ admitted: true, release: () => this.release(key, next.holder) });
    else this.groups.delete(key);
  }
}
