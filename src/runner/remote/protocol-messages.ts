// Contract: the runner protocol's request and response bodies, shared by the server plugin and the remote runner.
import type { JobConclusion, JobEvents, StopReason } from "../job-events.js";
import type { JobRequest } from "../job-request.js";

export interface RegisterBody {
  /** The registration token minted by the server's operator. */
  token: string;
  name: string;
  labels: string[];
  ephemeral: boolean;
}

export interface RegisterResponse {
  runnerId: string;
  /** Returned once; the server keeps only its hash. */
  runnerToken: string;
}

export interface ClaimResponse {
  jobId: number;
  /** Heartbeat well within this (every leaseMs/3) or the sweeper gives the job to another runner. */
  leaseMs: number;
  request: JobRequest;
  /** Where the job's stored log ends (a requeued job keeps its earlier chunks): continue after it. */
  logSeq: number;
  logOffset: number;
}

/** A run of whole log lines; seq starts at 1 per job and offset counts UTF-8 bytes before this chunk. */
export interface LogChunkMessage {
  seq: number;
  offset: number;
  text: string;
}

export interface LogsBody {
  chunks: LogChunkMessage[];
}

/** The highest seq stored with no gap before it. */
export interface AckResponse {
  ack: number;
}

export type StepEventType = "step:started" | "step:finished";

/**
 * `logSeq` is the last chunk cut before the event: a step's lines are exactly the chunks between its started and
 * finished events, because the runner cuts a chunk at every step event.
 */
export type StepEventMessage = {
  [E in StepEventType]: { seq: number; type: E; logSeq: number; payload: JobEvents[E] };
}[StepEventType];

export interface EventsBody {
  events: StepEventMessage[];
}

export interface HeartbeatResponse {
  /** The job was cancelled: stop it, run its post steps, then complete it as cancelled. */
  cancel: boolean;
}

export interface CompleteBody {
  conclusion: JobConclusion;
  outputs: Record<string, string>;
  reason?: StopReason;
  message?: string;
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}
