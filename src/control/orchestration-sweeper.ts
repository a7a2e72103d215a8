// Finds runs no live server orchestrates (their server died or never claimed them) and resumes them in this server:
// once at start, then on a jittered interval. Owns only the timing; adoption is one store query, resuming is intake's.
import { adoptOrphanedRuns, type AdoptedRun, type Store } from "../store/index.js";

export interface OrchestrationSweeperOptions {
  store: Store;
  instanceId: string;
  /** The lease an adopted run gets (the launcher's, which it then renews). */
  leaseMs: number;
  /** Mean time between sweeps (default 10 s); each wait is jittered between half and one and a half times it. */
  intervalMs?: number;
  resume: (adopted: AdoptedRun) => Promise<void>;
  onError: (error: unknown, runId?: number) => void;
}

export interface OrchestrationSweeper {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

const batchSize = 50;

/** An orphaned run is resumed within about one lease plus 1.5 intervals of its server's death. */
export function startOrchestrationSweeper(options: OrchestrationSweeperOptions): OrchestrationSweeper {
  const intervalMs = options.intervalMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  const sweep = async () => {
    for (;;) {
      const adopted = await adoptOrphanedRuns(options.store, {
        orchestrator: options.instanceId,
        leaseMs: options.leaseMs,
        limit: batchSize,
      });
      for (const run of adopted) {
        await options.resume(run).catch((error: unknown) => options.onError(error, run.run.id));
      }
      if (adopted.length < batchSize || isStopped) return;
    }
  };
  let sweeping = sweep().catch(options.onError);
  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(
      () => {
        sweeping = sweep().catch(options.onError).finally(schedule);
      },
      intervalMs * (0.5 + Math.random()),
    );
  };
  void sweeping.finally(schedule);
  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await sweeping;
    },
  };
}
