// Wake-ups: PostgreSQL LISTEN/NOTIFY on `hangar_jobs` (claimable jobs), `hangar_activity` (a job's logs, events or
// result; a run's cancel request) and `hangar_concurrency` (a group's holders), SQLite an in-process EventEmitter.
// They only wake sleepers; the tables are the truth, so callers keep a slow safety-net poll.
import { sql, type Kysely } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

/** Contract: the PostgreSQL channel notified when jobs become claimable. */
export const JOBS_CHANNEL = "hangar_jobs";
/** Contract: the PostgreSQL channel for activity on one job or run; the payload is an `Activity` as JSON. */
export const ACTIVITY_CHANNEL = "hangar_activity";
/** Contract: the PostgreSQL channel notified when a concurrency group's holders change. */
export const CONCURRENCY_CHANNEL = "hangar_concurrency";

/** The wake-ups a transaction can send, each on its own channel (PostgreSQL) or event (SQLite). */
const WAKES = {
  jobs: { channel: JOBS_CHANNEL, event: "wake" },
  concurrency: { channel: CONCURRENCY_CHANNEL, event: "concurrency" },
} as const;
type WakeKind = keyof typeof WAKES;

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

// SQLite: the wake-ups each open transaction will send when it commits.
const pendingSqliteWakes = new WeakMap<object, Set<WakeKind>>();

async function wakeAfterCommit(store: Store, trx: Kysely<Database>, kind: WakeKind): Promise<void> {
  if (store.dialect === "postgres") {
    await sql`select pg_notify(${WAKES[kind].channel}, '')`.execute(trx);
    return;
  }
  const pending = pendingSqliteWakes.get(trx) ?? new Set<WakeKind>();
  pending.add(kind);
  pendingSqliteWakes.set(trx, pending);
}

/** Wakes job listeners once `trx` commits: NOTIFY is delivered by PostgreSQL on commit and dropped on rollback. */
export function wakeOnCommit(store: Store, trx: Kysely<Database>): Promise<void> {
  return wakeAfterCommit(store, trx, "jobs");
}

/** Wakes concurrency group waiters (listenForConcurrency) once `trx` commits. */
export function wakeConcurrencyOnCommit(store: Store, trx: Kysely<Database>): Promise<void> {
  return wakeAfterCommit(store, trx, "concurrency");
}

/** Called by runInTransaction after a SQLite commit. */
export function emitPendingWakes(store: Store, trx: Kysely<Database>): void {
  const pending = pendingSqliteWakes.get(trx);
  if (!pending) return;
  pendingSqliteWakes.delete(trx);
  for (const kind of pending) store.jobWakes.emit(WAKES[kind].event);
}

export function listenForJobs(
  store: Store,
  onWake: () => void,
  options: ListenOptions = {},
): Promise<JobListener> {
  return listenForWakes(store, WAKES.jobs, onWake, options);
}

/** Wakes on every committed change to a concurrency group, in any server on this database. */
export function listenForConcurrency(
  store: Store,
  onWake: () => void,
  options: ListenOptions = {},
): Promise<JobListener> {
  return listenForWakes(store, WAKES.concurrency, onWake, options);
}

async function listenForWakes(
  store: Store,
  target: { channel: string; event: string },
  onWake: () => void,
  options: ListenOptions,
): Promise<JobListener> {
  const poll = setInterval(onWake, options.safetyPollMs ?? 30_000);
  if (store.dialect === "sqlite") {
    store.jobWakes.on(target.event, onWake);
    return {
      close: async () => {
        clearInterval(poll);
        store.jobWakes.off(target.event, onWake);
      },
    };
  }
  const listener = new PostgresListener(store.url!, target.channel, onWake, onWake, options);
  const close = async () => {
    clearInterval(poll);
    await listener.close();
  };
  await connectOrClose(listener, close);
  return { close };
}

/** Activity on one job (new logs, step events, a result, a requeue) or one run (a cancel request). */
export interface Activity {
  kind: "job" | "run";
  id: number;
  /** The server instance that sent it, so it can ignore its own. */
  from: string;
}

/**
 * Tells every server on this PostgreSQL database about `activity`, after whatever caused it has committed. SQLite has
 * one server process per database file, which wakes its own followers in-process: nothing to send.
 */
export async function notifyActivity(store: Store, activity: Activity): Promise<void> {
  if (store.dialect !== "postgres") return;
  await sql`select pg_notify(${ACTIVITY_CHANNEL}, ${JSON.stringify(activity)})`.execute(store.db);
}

/**
 * Calls `onActivity` for each activity another server sends (PostgreSQL only; on SQLite it is never called), and
 * `onReconnect` after a lost connection came back, since notifications sent meanwhile are gone.
 */
export async function listenForActivity(
  store: Store,
  handlers: { onActivity: (activity: Activity) => void; onReconnect: () => void },
  options: Omit<ListenOptions, "safetyPollMs"> = {},
): Promise<JobListener> {
  if (store.dialect === "sqlite") return { close: async () => undefined };
  const onNotification = (payload: string | undefined) => {
    const activity = parseActivity(payload);
    if (activity) handlers.onActivity(activity);
  };
  const listener = new PostgresListener(
    store.url!,
    ACTIVITY_CHANNEL,
    onNotification,
    handlers.onReconnect,
    options,
  );
  const close = () => listener.close();
  await connectOrClose(listener, close);
  return { close };
}

function parseActivity(payload: string | undefined): Activity | undefined {
  try {
    const value = JSON.parse(payload ?? "") as Partial<Activity>;
    const isValid =
      (value.kind === "job" || value.kind === "run") &&
      Number.isInteger(value.id) &&
      typeof value.from === "string";
    return isValid ? (value as Activity) : undefined;
  } catch {
    return undefined;
  }
}

async function connectOrClose(listener: PostgresListener, close: () => Promise<void>): Promise<void> {
  try {
    await listener.connect();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** A dedicated client (LISTEN needs a session that a pool would hand to others), reconnected with backoff. */
class PostgresListener {
  #client: pg.Client | undefined;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #isClosed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotification: (payload: string | undefined) => void,
    private readonly onReconnect: () => void,
    private readonly options: ListenOptions,
  ) {}

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const onLost = (error?: unknown) => this.#reconnectLater(client, error);
    client.on("error", onLost);
    client.on("end", onLost);
    client.on("notification", (message) => this.onNotification(message.payload));
    this.#client = client;
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
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
        () => this.onReconnect(),
        (retryError: unknown) => this.#reconnectLater(this.#client ?? client, retryError),
      );
    }, Math.random() * cap);
  }
}
