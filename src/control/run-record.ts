// Keeps a run's rows in step with what its engine decides without a runner: a job that ends before it is queued (a
// reusable workflow's caller, a skipped job, an `if:` or matrix that failed) gets its row and message, and a failure of
// the workflow as a whole (its env, its concurrency) becomes the run's message, so no run ends without a reason.
import { isWorkflowRef, type RunHandle } from "../engine/index.js";
import { insertFinishedJob, type Run, type Store } from "../store/index.js";

export interface RunRecord {
  /** Resolves once every row the run's events called for is written. */
  settled(): Promise<void>;
  /** Why the workflow as a whole failed, when it did. */
  readonly message: string | undefined;
}

export function recordRun(
  store: Store,
  run: Run,
  handle: RunHandle,
  log: (message: string, details?: Record<string, unknown>) => void,
): RunRecord {
  const writes: Promise<unknown>[] = [];
  const workflowFailures: string[] = [];
  handle.on("job:finished", ({ job, conclusion, outputs, reason, message }) => {
    writes.push(
      insertFinishedJob(store, {
        runId: run.id,
        attempt: run.attempt,
        key: job.key,
        jobId: job.jobId,
        name: job.name,
        matrix: job.matrix ?? null,
        conclusion,
        outputs,
        ...(reason ? { stopReason: reason } : {}),
        ...(message ? { message } : {}),
      }).catch((error: unknown) =>
        log("cannot record a finished job", { runId: run.id, job: job.key, error: String(error) }),
      ),
    );
  });
  // The engine reports the workflow's own failures as system lines of no job (workflow-env.ts).
  handle.on("log:line", ({ job, line }) => {
    if (isWorkflowRef(job) && line.stream === "system") workflowFailures.push(line.text);
  });
  return {
    async settled() {
      await Promise.all(writes);
    },
    get message() {
      return workflowFailures.length > 0 ? workflowFailures.join("\n") : undefined;
    },
  };
}
