// In-process wake-ups for whoever follows a job (the queue dispatch): "job N has new logs, events or a result".
// Like LISTEN/NOTIFY they only wake sleepers; the store is the truth and followers keep a slow poll.
import { EventEmitter } from "node:events";

export class JobActivity {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  notify(jobRowId: number): void {
    this.#emitter.emit(String(jobRowId));
  }

  /** Returns the unsubscribe function. */
  subscribe(jobRowId: number, listener: () => void): () => void {
    this.#emitter.on(String(jobRowId), listener);
    return () => this.#emitter.off(String(jobRowId), listener);
  }
}
