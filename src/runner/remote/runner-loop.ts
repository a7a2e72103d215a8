// The remote runner: long-polls the server for jobs its labels match and runs them one at a time until stopped.
import type { EmitJobEvent } from "../job-events.js";
import type { RunnerHost } from "../job-request.js";
import { RunnerClient, RunnerProtocolError } from "./runner-client.js";
import { defaultRetryBounds, waitBeforeRetry, type RetryBounds } from "./retry-delay.js";
import { runClaimedJob, type ClaimedJobOutcome } from "./run-claimed-job.js";

export interface RunnerLoopOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  runnerToken: string;
  host: RunnerHost;
  /** Take one job, then return (an ephemeral runner). */
  once?: boolean;
  /** Aborted: take no new job; the one in progress finishes. */
  stopSignal?: AbortSignal;
  /** Aborted: cancel the job in progress as well. */
  cancelSignal?: AbortSignal;
  onJobEvent?: EmitJobEvent;
  /** Progress for people (stderr); never results. */
  log?: (message: string) => void;
  /** How long a log line may wait for more before it is sent (default 200 ms). */
  flushDelayMs?: number;
  retry?: RetryBounds;
}

export interface RunnerLoopResult {
  jobs: ClaimedJobOutcome[];
}

/** Returns when stopped (or after one job with `once`); throws when the server rejects the runner's token. */
export async function runnerLoop(options: RunnerLoopOptions): Promise<RunnerLoopResult> {
  const client = new RunnerClient(options.url, options.runnerToken);
  const retry = options.retry ?? defaultRetryBounds;
  const log = options.log ?? (() => undefined);
  const jobs: ClaimedJobOutcome[] = [];
  let failures = 0;
  while (!options.stopSignal?.aborted) {
    let claim;
    try {
      claim = await client.claim(options.stopSignal);
      failures = 0;
    } catch (error) {
      if (options.stopSignal?.aborted) break;
      if (error instanceof RunnerProtocolError && error.statusCode < 500) throw error;
      log(`cannot reach ${options.url} (${describe(error)}); retrying`);
      await waitBeforeRetry(failures++, retry, options.stopSignal);
      continue;
    }
    if (!claim) continue;
    log(`job ${claim.jobId} claimed: ${claim.request.ref.name}`);
    const outcome = await runClaimedJob({
      client,
      claim,
      host: options.host,
      cancelSignal: options.cancelSignal,
      onJobEvent: options.onJobEvent,
      flushDelayMs: options.flushDelayMs,
      retry,
    });
    jobs.push(outcome);
    log(
      outcome.isReported
        ? `job ${claim.jobId} finished: ${outcome.result.conclusion}`
        : `job ${claim.jobId} was taken back by the server; its result was not recorded`,
    );
    if (options.once) break;
  }
  return { jobs };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
