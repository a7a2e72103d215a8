// Runs one claimed job: heartbeats, streams its logs and step events, obeys cancel, then reports completion last.
import type { StepEvent } from "../../contracts/index.js";
import { ContentStore } from "../content-store/index.js";
import type { EmitJobEvent, JobEvents } from "../job-events.js";
import { runJobRequest, type RunnerHost } from "../job-request.js";
import type { JobInstanceResult } from "../run-job.js";
import { ContentClient } from "./content-client.js";
import { JobOutbox } from "./job-outbox.js";
import type { ClaimResponse, CompleteBody } from "./protocol-messages.js";
import { RunnerProtocolError, type RunnerClient } from "./runner-client.js";
import { defaultRetryBounds, waitBeforeRetry, type RetryBounds } from "./retry-delay.js";
import { ServerContent } from "./server-content.js";

export interface ClaimedJobOptions {
  client: RunnerClient;
  claim: ClaimResponse;
  host: RunnerHost;
  /** Aborted: cancel this job (its post steps still run). */
  cancelSignal?: AbortSignal;
  /** Also sees every event the job emits (for the runner's own terminal). */
  onJobEvent?: EmitJobEvent;
  flushDelayMs?: number;
  retry?: RetryBounds;
}

export interface ClaimedJobOutcome {
  result: JobInstanceResult;
  /** False when the server no longer considered the job this runner's, so its result was not recorded. */
  isReported: boolean;
}

export async function runClaimedJob(options: ClaimedJobOptions): Promise<ClaimedJobOutcome> {
  const { client, claim } = options;
  const retry = options.retry ?? defaultRetryBounds;
  const cancel = new AbortController();
  const force = new AbortController();
  const onCancel = () => cancel.abort();
  options.cancelSignal?.addEventListener("abort", onCancel, { once: true });
  if (options.cancelSignal?.aborted) cancel.abort();
  const outbox = new JobOutbox(
    {
      sendLogs: (chunks) => client.sendLogs(claim.jobId, chunks),
      sendEvents: (events) => client.sendEvents(claim.jobId, events),
    },
    { logSeq: claim.logSeq, logOffset: claim.logOffset, flushDelayMs: options.flushDelayMs, retry },
  );
  let leaseLost: RunnerProtocolError | undefined;
  const loseLease = (error: RunnerProtocolError) => {
    leaseLost ??= error;
    // Another runner may have the job now: stop at once, post steps included.
    cancel.abort();
    force.abort();
  };
  // A third of the lease, as GitHub's runner renews well before expiry: two heartbeats may fail without losing it.
  const heartbeat = setInterval(() => {
    client.heartbeat(claim.jobId).then(
      (answer) => {
        if (answer.cancel) cancel.abort();
      },
      (error: unknown) => {
        if (error instanceof RunnerProtocolError && error.isLeaseLost) loseLease(error);
      },
    );
  }, claim.leaseMs / 3);

  const emit: EmitJobEvent = (event, payload) => {
    options.onJobEvent?.(event, payload);
    if (event === "log:line") outbox.addLine((payload as JobEvents["log:line"]).line);
    else outbox.addEvent(event as StepEvent, payload as never);
  };
  let result: JobInstanceResult;
  try {
    // Every job claimed from a server keeps its artifacts and caches there, whichever runner runs the next job.
    const content = new ServerContent(
      new ContentClient(client.url, client.runnerToken, claim.jobId),
      new ContentStore({ dataDir: options.host.dataDir }),
    );
    result = await runJobRequest(
      claim.request,
      { ...options.host, content },
      {
        signal: cancel.signal,
        forceSignal: force.signal,
        emit,
      },
      claim.secrets ?? { repository: {}, environment: {} },
    );
  } catch (error) {
    result = { conclusion: "failure", outputs: {}, reason: "executor_error", message: String(error) };
  } finally {
    options.cancelSignal?.removeEventListener("abort", onCancel);
  }
  try {
    // Report "finished" last, after every log line is stored (STYLE 4).
    await outbox.flush();
    const refused = leaseLost ?? outbox.failure;
    if (refused) return { result, isReported: false };
    const body: CompleteBody = {
      conclusion: result.conclusion,
      outputs: result.outputs,
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.message ? { message: result.message } : {}),
      ...(result.environmentUrl ? { environmentUrl: result.environmentUrl } : {}),
    };
    return { result, isReported: await completeWithRetry(client, claim.jobId, body, retry) };
  } finally {
    clearInterval(heartbeat);
  }
}

/** Retries dropped connections; a refusal means the lease was lost (the job went back to the queue or elsewhere). */
async function completeWithRetry(
  client: RunnerClient,
  jobId: number,
  body: CompleteBody,
  retry: RetryBounds,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.complete(jobId, body);
      return true;
    } catch (error) {
      if (error instanceof RunnerProtocolError && error.statusCode < 500) return false;
    }
    await waitBeforeRetry(attempt, retry);
  }
}
