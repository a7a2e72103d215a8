// Records why the jobs of a started run wait before they are queued (the engine's job:waiting), so the API can say
// so; a job's wait goes when it starts or finishes, and every wait of the attempt goes when the run finishes.
import type { JobRef, WaitingJobRef } from "../engine/index.js";
import { clearJobWaits, recordJobWait, type Store } from "../store/index.js";
import type { RunObserver } from "./run-launcher.js";

export function createWaitRecorder(
  store: Store,
  log: (message: string, details?: Record<string, unknown>) => void,
): RunObserver {
  return ({ run, handle }) => {
    const target = { runId: run.id, attempt: run.attempt };
    const waiting = new Map<string, WaitingJobRef>();
    // One chain per run: a wait is never cleared before it was written, nor written again after it was cleared.
    let writes = Promise.resolve();
    const write = (work: () => Promise<void>) => {
      writes = writes
        .then(work)
        .catch((error: unknown) =>
          log("cannot record a job's wait", { runId: run.id, error: String(error) }),
        );
    };
    // A matrix job waits for its needs under its own key and runs as `key (values)`; a called workflow's job
    // waits as `caller / job`: the wait a job's event ends is the one whose key it extends, for the same job id.
    const endWaitOf = ({ job }: { job: JobRef }) => {
      const ended = [...waiting.values()].filter((w) => w.jobId === job.jobId && job.key.startsWith(w.key));
      if (ended.length === 0) return;
      for (const wait of ended) waiting.delete(wait.key);
      write(() => clearJobWaits(store, { ...target, keys: ended.map((w) => w.key) }));
    };
    handle.on("job:waiting", (wait) => {
      waiting.set(wait.job.key, wait.job);
      write(() => recordJobWait(store, { ...target, ...wait.job, reason: wait.reason, detail: wait.detail }));
    });
    handle.on("job:started", endWaitOf);
    handle.on("job:finished", endWaitOf);
    handle.on("run:finished", () => {
      waiting.clear();
      write(() => clearJobWaits(store, target));
    });
  };
}
