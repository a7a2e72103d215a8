// The server's dispatchJob: queues each job instance for a remote runner and follows it until it completes,
// replaying its step events and log lines into the engine as they arrive. Never runs a job itself. A job the run's
// attempt already queued (the run was resumed by another server) is adopted by its key, never queued twice: a
// completed one gives its stored result at once, a queued or running one is followed.
import {
  decodeLogText,
  type EmitJobEvent,
  type JobControl,
  type JobInstanceResult,
  type JobRef,
  type JobRequest,
  type StepRef,
  type StopReason,
} from "../runner/index.js";
import {
  cancelJob,
  getJob,
  getJobLogs,
  insertQueuedJob,
  listJobEvents,
  type JobEventRecord,
  type LogChunk,
  type QueuedJob,
  type Store,
} from "../store/index.js";
import type { JobActivity } from "./job-activity.js";

export type DispatchJob = (request: JobRequest, control: JobControl) => Promise<JobInstanceResult>;

export interface QueueDispatchOptions {
  /** Wakes the follower when the runner protocol in this process stores something for its job. */
  activity?: JobActivity;
  /** The safety-net poll (default 2 s), in case a wake-up (from this or another server) is lost. */
  pollMs?: number;
}

export function createQueueDispatch(store: Store, options: QueueDispatchOptions = {}): DispatchJob {
  const pollMs = options.pollMs ?? 2_000;
  return async (request, control) => {
    const runId = Number(request.identity.runId);
    if (!Number.isInteger(runId)) {
      throw new Error(
        `queue dispatch needs a stored run: run id '${request.identity.runId}' is not a run row id`,
      );
    }
    const labels = request.runsOn;
    const job = await insertQueuedJob(store, {
      runId,
      attempt: request.identity.attempt,
      key: request.ref.key,
      jobId: request.ref.jobId,
      name: request.ref.name,
      matrix: request.ref.matrix ?? null,
      runsOn: labels,
      request,
    });
    return followJob(store, job.id, request.ref, control, { activity: options.activity, pollMs });
  };
}

async function followJob(
  store: Store,
  jobRowId: number,
  ref: JobRef,
  control: JobControl,
  options: { activity?: JobActivity; pollMs: number },
): Promise<JobInstanceResult> {
  const replay = new JobReplay(ref, control.emit);
  let wakeUp: (() => void) | undefined;
  const unsubscribe = options.activity?.subscribe(jobRowId, () => wakeUp?.());
  // The runner learns of the cancel at its next heartbeat; a job no runner took yet completes as cancelled at once.
  const onAbort = () => {
    cancelJob(store, jobRowId, { actor: "hangar" }).then(
      () => wakeUp?.(),
      () => wakeUp?.(),
    );
  };
  control.signal.addEventListener("abort", onAbort, { once: true });
  if (control.signal.aborted) onAbort();
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      // Armed before reading, so activity during the reads is not slept through.
      const woken = new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, options.pollMs);
      });
      // Status first: a runner stores every log line before it completes, so reading logs after sees them all.
      const job = await getJob(store, jobRowId);
      if (!job) throw new Error(`job ${jobRowId} disappeared from the store`);
      await replay.catchUp(store, jobRowId);
      if (job.status === "completed") return replay.resultOf(job);
      await woken;
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    unsubscribe?.();
    control.signal.removeEventListener("abort", onAbort);
  }
}

/** A step event to replay, or where a requeued job starts over (placed after what the lost runner stored). */
type PendingReplay = JobEventRecord | { requeueAfterSeq: number };

/**
 * Replays what the runner stored, in the order it produced it: a step event with logSeq N goes after chunk N and
 * before chunk N+1, and each line belongs to the step started and not yet finished at that point. A job requeued
 * after its runner was lost starts over once: a system line and `job:requeued` mark where, so the next runner's
 * steps replace the lost one's in the engine's view (the stored log keeps both claims' lines).
 */
export class JobReplay {
  #lastChunkSeq = 0;
  #lastEventId = 0;
  #pendingStepEvents: PendingReplay[] = [];
  /** The claim whose steps were replayed last (0: none yet). */
  #shownClaim = 0;
  /** A start-over was marked that no step of the next claim has followed yet. */
  #isRestartMarked = false;
  #currentStep: StepRef | undefined;
  #finishMessage: string | undefined;
  #environmentUrl: string | undefined;
  #isQueuedSeen = false;

  constructor(
    private readonly ref: JobRef,
    private readonly emit: EmitJobEvent,
  ) {}

  /**
   * Chunks first, then events: every event the runner sent before a chunk is then seen with it; an event whose
   * logSeq is past the chunks read is held until the next round.
   */
  async catchUp(store: Store, jobRowId: number): Promise<void> {
    for (;;) {
      const chunks = await getJobLogs(store, jobRowId, { afterSeq: this.#lastChunkSeq });
      const events = await listJobEvents(store, jobRowId, { afterId: this.#lastEventId });
      const chunkSeqRead = chunks.at(-1)?.seq ?? this.#lastChunkSeq;
      for (const event of events) {
        this.#lastEventId = event.id;
        this.#takeEvent(event, chunkSeqRead);
      }
      for (const chunk of chunks) this.#replayChunk(chunk);
      this.#replayStepEvents(this.#lastChunkSeq);
      if (chunks.length < 1000 && events.length < 1000) return;
    }
  }

  resultOf(job: QueuedJob): JobInstanceResult {
    const reason = job.stopReason ?? undefined;
    const message =
      job.stopReason === "runner_lost"
        ? `the runner stopped reporting and the job was not given to another one${this.#finishMessage ? `: ${this.#finishMessage}` : ""}`
        : this.#finishMessage;
    return {
      conclusion: job.conclusion ?? "failure",
      outputs: job.outputs ?? {},
      ...(reason ? { reason: reason as StopReason } : {}),
      ...(message ? { message } : {}),
      ...(this.#environmentUrl ? { environmentUrl: this.#environmentUrl } : {}),
    };
  }

  #takeEvent(event: JobEventRecord, chunkSeqRead: number): void {
    if (event.action === "step:started" || event.action === "step:finished") {
      this.#pendingStepEvents.push(event);
    } else if (event.action === "job:queued") {
      // The first job:queued is the insert; a later one is the sweeper giving a lost runner's job back. It goes
      // after everything the lost runner stored that was read with it.
      if (this.#isQueuedSeen) {
        const last = this.#pendingStepEvents.at(-1);
        this.#pendingStepEvents.push({ requeueAfterSeq: Math.max(chunkSeqRead, last ? logSeqOf(last) : 0) });
      }
      this.#isQueuedSeen = true;
    } else if (event.action === "job:finished") {
      const { message, environmentUrl } = event.payload;
      if (typeof message === "string") this.#finishMessage = message;
      if (typeof environmentUrl === "string") this.#environmentUrl = environmentUrl;
    }
  }

  #replayChunk(chunk: LogChunk): void {
    this.#replayStepEvents(chunk.seq - 1);
    for (const line of decodeLogText(chunk.text)) {
      this.emit("log:line", {
        job: this.ref,
        ...(this.#currentStep ? { step: this.#currentStep } : {}),
        line,
      });
    }
    this.#lastChunkSeq = chunk.seq;
  }

  /** Emits, in order, the pending step events that come before chunk `throughSeq + 1`. */
  #replayStepEvents(throughSeq: number): void {
    while (this.#pendingStepEvents.length > 0) {
      const event = this.#pendingStepEvents[0]!;
      if (logSeqOf(event) > throughSeq) return;
      this.#pendingStepEvents.shift();
      if ("requeueAfterSeq" in event) {
        this.#markRestart();
        continue;
      }
      // Steps of a later claim whose requeue was not seen (read in one round with them) still start over.
      const claim = Number(event.payload["claim"] ?? 0);
      if (claim > this.#shownClaim) {
        if (this.#shownClaim > 0 && !this.#isRestartMarked) this.#markRestart();
        this.#shownClaim = claim;
        this.#isRestartMarked = false;
      }
      const step = { ...(event.payload["step"] as StepRef), job: this.ref };
      if (event.action === "step:started") {
        this.#currentStep = step;
        this.emit("step:started", { step });
      } else {
        this.#currentStep = undefined;
        const payload = event.payload as {
          outcome: never;
          conclusion: never;
          durationMs: number;
          message?: string;
        };
        this.emit("step:finished", {
          step,
          outcome: payload.outcome,
          conclusion: payload.conclusion,
          durationMs: payload.durationMs,
          ...(typeof payload.message === "string" ? { message: payload.message } : {}),
        });
      }
    }
  }

  #markRestart(): void {
    if (this.#isRestartMarked) return;
    this.#isRestartMarked = true;
    this.#currentStep = undefined;
    const message = "the runner stopped renewing its lease; the job went back to the queue and starts over";
    this.emit("log:line", { job: this.ref, line: { stream: "system", text: message } });
    this.emit("job:requeued", { job: this.ref, message });
  }
}

function logSeqOf(event: PendingReplay): number {
  return "requeueAfterSeq" in event ? event.requeueAfterSeq : Number(event.payload["logSeq"]);
}
