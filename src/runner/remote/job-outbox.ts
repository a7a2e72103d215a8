// A claimed job's outgoing log chunks and step events, in the order produced, resent until the server acknowledges.
// Chunks carry seq and byte offset so resends are stored once; a chunk is cut at every step event (see logSeq).
import type { JobEvents } from "../job-events.js";
import type { LogLine } from "../types.js";
import { encodeLogLine } from "./log-line-codec.js";
import type { StepEvent } from "../../contracts/index.js";
import type { LogChunkMessage, StepEventMessage } from "./protocol-messages.js";
import { RunnerProtocolError } from "./runner-client.js";
import { defaultRetryBounds, waitBeforeRetry, type RetryBounds } from "./retry-delay.js";

export interface OutboxTransport {
  sendLogs(chunks: LogChunkMessage[]): Promise<number>;
  sendEvents(events: StepEventMessage[]): Promise<number>;
}

export interface OutboxOptions {
  /** Where the job's stored log ends (from the claim). */
  logSeq: number;
  logOffset: number;
  /** How long a line may wait for more before it is sent (default 200 ms). */
  flushDelayMs?: number;
  retry?: RetryBounds;
}

type OutboxItem = { kind: "chunk"; message: LogChunkMessage } | { kind: "event"; message: StepEventMessage };

/** A cut chunk stays under this, so one request stays small (the server's body limit is far above). */
const maxChunkBytes = 64 * 1024;
const maxBatchItems = 100;

export class JobOutbox {
  readonly #transport: OutboxTransport;
  readonly #flushDelayMs: number;
  readonly #retry: RetryBounds;
  #pendingLines: string[] = [];
  #pendingBytes = 0;
  #items: OutboxItem[] = [];
  #chunkSeq: number;
  #nextOffset: number;
  #eventSeq = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #failure: RunnerProtocolError | undefined;

  constructor(transport: OutboxTransport, options: OutboxOptions) {
    this.#transport = transport;
    this.#chunkSeq = options.logSeq;
    this.#nextOffset = options.logOffset;
    this.#flushDelayMs = options.flushDelayMs ?? 200;
    this.#retry = options.retry ?? defaultRetryBounds;
  }

  /** Set once the server refused a write (usually: the job is no longer this runner's); nothing more is sent. */
  get failure(): RunnerProtocolError | undefined {
    return this.#failure;
  }

  addLine(line: LogLine): void {
    const encoded = encodeLogLine(line) + "\n";
    this.#pendingLines.push(encoded);
    this.#pendingBytes += Buffer.byteLength(encoded, "utf8");
    if (this.#pendingBytes >= maxChunkBytes) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushDelayMs);
  }

  addEvent<E extends StepEvent>(type: E, payload: JobEvents[E]): void {
    this.#cutChunk();
    this.#eventSeq += 1;
    const message = { seq: this.#eventSeq, type, logSeq: this.#chunkSeq, payload } as StepEventMessage;
    this.#items.push({ kind: "event", message });
    void this.flush();
  }

  /**
   * Starts sending what is queued; resolves (never rejects) once everything queued so far is acknowledged or
   * `failure` is set.
   */
  flush(): Promise<void> {
    this.#cutChunk();
    this.#sending = this.#sending.then(() => this.#sendAll());
    return this.#sending;
  }

  #cutChunk(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pendingLines.length === 0) return;
    this.#chunkSeq += 1;
    const text = this.#pendingLines.join("");
    this.#items.push({ kind: "chunk", message: { seq: this.#chunkSeq, offset: this.#nextOffset, text } });
    this.#nextOffset += this.#pendingBytes;
    this.#pendingLines = [];
    this.#pendingBytes = 0;
  }

  /** Sends runs of one kind in order, so the server stores events and chunks in the order they were produced. */
  async #sendAll(): Promise<void> {
    let failures = 0;
    while (this.#items.length > 0 && !this.#failure) {
      const kind = this.#items[0]!.kind;
      const end = this.#items.findIndex((item, index) => index >= maxBatchItems || item.kind !== kind);
      const batch = this.#items.slice(0, end === -1 ? undefined : end);
      const lastSeq = batch[batch.length - 1]!.message.seq;
      try {
        const ack =
          kind === "chunk"
            ? await this.#transport.sendLogs(batch.map((item) => item.message as LogChunkMessage))
            : await this.#transport.sendEvents(batch.map((item) => item.message as StepEventMessage));
        this.#items = this.#items.filter((item) => item.kind !== kind || item.message.seq > ack);
        if (ack >= lastSeq) {
          failures = 0;
          continue;
        }
      } catch (error) {
        // A refusal is final (not ours any more, or a body the server rejects): resending cannot help.
        if (error instanceof RunnerProtocolError && error.statusCode < 500) {
          this.#failure = error;
          return;
        }
      }
      // A dropped connection, a 5xx or an acknowledgement short of the batch: resend after a pause.
      await waitBeforeRetry(failures++, this.#retry);
    }
  }
}
