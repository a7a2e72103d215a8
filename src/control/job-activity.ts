// Wake-ups for whoever follows a job (the queue dispatch): "job N has new logs, events or a result". Like LISTEN/NOTIFY
// they only wake sleepers; the store is the truth and followers keep a slow poll. `notify` also tells other servers on
// the same database (through `broadcast`), whose relays hand it to their own JobActivity with `notifyLocally`.
import { EventEmitter } from "node:events";

export class JobActivity {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  constructor(private readonly broadcast?: (jobRowId: number) => void) {}

  notify(jobRowId: number): void {
    this.notifyLocally(jobRowId);
    this.broadcast?.(jobRowId);
  }

  /** Wakes this process's followers of the job only (another server already told everyone). */
  notifyLocally(jobRowId: number): void {
    this.#emitter.emit(String(jobRowId));
  }

  /** Wakes every follower in this process (wake-ups from other servers may have been lost). */
  notifyAllLocally(): void {
    for (const name of this.#emitter.eventNames()) this.#emitter.emit(name);
  }

  /** Returns the unsubscribe function. */
  subscribe(jobRowId: number, listener: () => void): () => void {
    this.#emitter.on(String(jobRowId), listener);
    return () => this.#emitter.off(String(jobRowId), listener);
  }
}
