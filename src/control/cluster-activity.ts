// Carries wake-ups between the servers on one PostgreSQL database: job activity (a runner talking to another server
// stored logs, events or a result) into this server's JobActivity, and run cancel requests to their orchestrator.
// SQLite has one server per database file, so there everything stays in-process. The tables stay the truth.
import { listenForActivity, notifyActivity, type Store } from "../store/index.js";
import { JobActivity } from "./job-activity.js";

export interface ClusterActivity {
  /** Wake-ups for this server's job followers; `notify` also reaches the other servers. */
  activity: JobActivity;
  /** Tells the other servers that a cancel was requested for the run (its orchestrator cancels its engine). */
  announceRunCancel(runId: number): Promise<void>;
  close(): Promise<void>;
}

export async function startClusterActivity(options: {
  store: Store;
  instanceId: string;
  /** A cancel was requested for the run through another server. */
  onRunCancelRequested: (runId: number) => void;
  log: (message: string, details?: Record<string, unknown>) => void;
}): Promise<ClusterActivity> {
  const { store, instanceId } = options;
  const send = (kind: "job" | "run", id: number) =>
    notifyActivity(store, { kind, id, from: instanceId }).catch((error: unknown) =>
      options.log("cannot notify other servers", { kind, id, error: String(error) }),
    );
  const activity = new JobActivity((jobRowId) => void send("job", jobRowId));
  const listener = await listenForActivity(
    store,
    {
      onActivity: ({ kind, id, from }) => {
        if (from === instanceId) return;
        if (kind === "job") activity.notifyLocally(id);
        else options.onRunCancelRequested(id);
      },
      // Notifications sent while disconnected are gone: followers re-read the store. Missed run cancels are caught
      // by the orchestrator's lease renewal.
      onReconnect: () => activity.notifyAllLocally(),
    },
    {
      onError: (error) =>
        options.log("activity listener lost its connection; reconnecting", { error: String(error) }),
    },
  );
  return {
    activity,
    announceRunCancel: (runId) => send("run", runId),
    close: () => listener.close(),
  };
}
