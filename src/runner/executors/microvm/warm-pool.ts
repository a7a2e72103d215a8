// Keeps booted, agent-ready VMs waiting so that a job does not wait for a boot; each VM is handed out once.

export interface PooledVm {
  readonly isAlive: boolean;
  destroy(): Promise<void>;
}

/** After a failed boot the pool waits this long before trying again, so a broken image does not spin the CPU. */
const retryAfterFailureMs = 5000;

export class WarmPool<Vm extends PooledVm> {
  private readonly ready: Vm[] = [];
  private booting = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private isClosed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  /** The last background boot failure, for reports; a cold boot in take() surfaces its own. */
  lastError: unknown;

  constructor(
    private readonly size: number,
    private readonly bootVm: () => Promise<Vm>,
  ) {}

  get readyCount(): number {
    return this.ready.length;
  }

  /** Starts booting up to `size` VMs in the background. */
  fill(): void {
    while (!this.isClosed && !this.retryTimer && this.ready.length + this.booting < this.size) {
      this.booting++;
      const boot = this.bootVm().then(
        (vm) => {
          this.booting--;
          if (this.isClosed) return vm.destroy();
          this.ready.push(vm);
          this.notify();
          this.fill();
        },
        (error: unknown) => {
          this.booting--;
          this.lastError = error;
          this.notify();
          if (this.isClosed || this.retryTimer) return;
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.fill();
          }, retryAfterFailureMs);
        },
      );
      this.inFlight.add(boot);
      void boot.finally(() => this.inFlight.delete(boot));
    }
  }

  /** A ready VM if there is one, else a cold boot; either way the pool refills behind it. */
  async take(): Promise<Vm> {
    let vm = this.ready.shift();
    while (vm && !vm.isAlive) {
      void vm.destroy();
      vm = this.ready.shift();
    }
    this.fill();
    return vm ?? this.bootVm();
  }

  /** Resolves once `size` VMs are ready (for benches and tests); rejects when a background boot failed. */
  whenFull(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.ready.length >= this.size || this.isClosed) {
          this.waiters.delete(check);
          resolve();
        } else if (this.lastError !== undefined && this.booting === 0) {
          this.waiters.delete(check);
          reject(this.lastError instanceof Error ? this.lastError : new Error(String(this.lastError)));
        }
      };
      this.lastError = undefined;
      this.waiters.add(check);
      this.fill();
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const vms = this.ready.splice(0);
    this.notify();
    await Promise.all([...vms.map((vm) => vm.destroy()), ...this.inFlight]);
  }
}
