// Gives expired leases back to the queue (or fails them as runner_lost) on a jittered interval, in the server.
import { requeueExpiredLeases, type Store, type SweepResult } from "../store/index.js";
import type { JobActivity } from "./job-activity.js";

export interface LeaseSweeperOptions {
  /** Mean time between sweeps (default 5 s); each wait is jittered between half and one and a half times it. */
  intervalMs?: number;
  /** Claims a job may use up before it fails as runner_lost (default 3); with the `fail` policy it is 1. */
  maxAttempts?: number;
  /**
   * What a lost runner's job does: `requeue` goes back to the queue until it used up maxAttempts claims (default), `fail`
   * fails it as runner_lost at once (for jobs that must not run twice, e.g. deployments).
   */
  runnerLostPolicy?: RunnerLostPolicy;
  /** Told about every job the sweep moved, so the queue dispatch following it wakes. */
  activity?: JobActivity;
  onSweep?: (result: SweepResult) => void;
  onError?: (error: unknown) => void;
}

export type RunnerLostPolicy = "requeue" | "fail";

export interface LeaseSweeper {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** Jitter keeps several servers on one database from sweeping in lockstep; a lost runner's job waits at most ~2 ticks. */
export function startLeaseSweeper(store: Store, options: LeaseSweeperOptions = {}): LeaseSweeper {
  const intervalMs = options.intervalMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  let isStopped = false;
  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(tick, intervalMs * (0.5 + Math.random()));
  };
  const tick = () => {
    const maxAttempts = options.runnerLostPolicy === "fail" ? 1 : options.maxAttempts;
    sweeping = requeueExpiredLeases(store, { maxAttempts })
      .then((result) => {
        const moved = [...result.requeued, ...result.lost];
        for (const job of moved) options.activity?.notify(job.id);
        if (moved.length > 0) options.onSweep?.(result);
      })
      .catch((error: unknown) => options.onError?.(error))
      .finally(schedule);
  };
  schedule();
  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await sweeping;
    },
  };
}
