// Job wake-ups: PostgreSQL LISTEN/NOTIFY on `hangar_jobs`, SQLite an in-process EventEmitter. They only wake sleepers;
// the jobs table is the truth, so a slow safety-net poll also wakes the listener.
import { sql, type Kysely } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

/** Contract: the PostgreSQL channel notified when jobs become claimable. */
export const JOBS_CHANNEL = "hangar_jobs";
const WAKE_EVENT = "wake";

export interface JobListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Safety-net poll interval (default 30 s): wakes even if a notification was lost. */
  safetyPollMs?: number;
  /** Reconnect backoff bounds for the PostgreSQL listener (defaults 100 ms and 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called with each lost connection (the listener keeps reconnecting). */
  onError?: (error: unknown) => void;
}

const pendingSqliteWakes = new WeakSet<object>();

/** Wakes job listeners once `trx` commits: NOTIFY is delivered by PostgreSQL on commit and dropped on rollback. */
export async function wakeOnCommit(store: Store, trx: Kysely<Database>): Promise<void> {
  if (store.dialect === "postgres") await sql`select pg_notify(${JOBS_CHANNEL}, '')`.execute(trx);
  else pendingSqliteWakes.add(trx);
}

/** Called by runInTransaction after a SQLite commit. */
export function emitPendingWakes(store: Store, trx: Kysely<Database>): void {
  if (!pendingSqliteWakes.delete(trx)) return;
  store.jobWakes.emit(WAKE_EVENT);
}

export async function listenForJobs(
  store: Store,
  onWake: () => void,
  options: ListenOptions = {},
): Promise<JobListener> {
  const poll = setInterval(onWake, options.safetyPollMs ?? 30_000);
  if (store.dialect === "sqlite") {
    store.jobWakes.on(WAKE_EVENT, onWake);
    return {
      close: async () => {
        clearInterval(poll);
        store.jobWakes.off(WAKE_EVENT, onWake);
      },
    };
  }
  const listener = new PostgresListener(store.url!, onWake, options);
  const close = async () => {
    clearInterval(poll);
    await listener.close();
  };
  try {
    await listener.connect();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { close };
}

/** A dedicated client (LISTEN needs a session that a pool would hand to others), reconnected with backoff. */
class PostgresListener {
  #client: pg.Client | undefined;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #isClosed = false;

  constructor(
    private readonly url: string,
    private readonly onWake: () => void,
    private readonly options: ListenOptions,
  ) {}

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const onLost = (error?: unknown) => this.#reconnectLater(client, error);
    client.on("error", onLost);
    client.on("end", onLost);
    client.on("notification", () => this.onWake());
    this.#client = client;
    await client.connect();
    await client.query(`LISTEN ${JOBS_CHANNEL}`);
    this.#failures = 0;
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    clearTimeout(this.#retry);
    await this.#client?.end();
  }

  #reconnectLater(client: pg.Client, error: unknown): void {
    if (this.#isClosed || client !== this.#client) return;
    this.#client = undefined;
    if (error) this.options.onError?.(error);
    client.removeAllListeners("notification");
    client.end().catch(() => undefined);
    // Capped exponential backoff with full jitter, so restarted servers do not reconnect in lockstep.
    const cap = Math.min(
      this.options.maxBackoffMs ?? 30_000,
      (this.options.minBackoffMs ?? 100) * 2 ** this.#failures,
    );
    this.#failures += 1;
    this.#retry = setTimeout(() => {
      this.connect().then(
        // Notifications sent while disconnected are lost: wake once so the caller re-reads the table.
        () => this.onWake(),
        (retryError: unknown) => this.#reconnectLater(this.#client ?? client, retryError),
      );
    }, Math.random() * cap);
  }
}
