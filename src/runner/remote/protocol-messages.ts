// Contract: the runner protocol's request and response bodies, shared by the server plugin and the remote runner.
import type { ArtifactInfo, CacheFileEntry, FileEntry, SaveCacheResult } from "../content-store/index.js";
import type { StepEvent } from "../../contracts/index.js";
import type { JobConclusion, JobEvents, StopReason } from "../job-events.js";
import type { JobRequest } from "../job-request.js";
import type { DeliveredSecrets } from "../job-secrets.js";

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
  /** The job's secrets, resolved at claim time and never stored with the job; absent from servers before issue 5. */
  secrets?: DeliveredSecrets;
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

/**
 * `logSeq` is the last chunk cut before the event: a step's lines are exactly the chunks between its started and
 * finished events, because the runner cuts a chunk at every step event.
 */
export type StepEventMessage = {
  [E in StepEvent]: { seq: number; type: E; logSeq: number; payload: JobEvents[E] };
}[StepEvent];

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
  /** The job's evaluated `environment.url`, when it ran in an environment. */
  environmentUrl?: string;
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/**
 * Artifacts and caches of a claimed job live on the server: the runner sends file contents as blobs named by
 * their sha256 (only those the server lacks), then the file list. Artifacts are the job's run's; caches its
 * repository's.
 */
export interface MissingBlobsBody {
  digests: string[];
}

export interface MissingBlobsResponse {
  /** The digests the server does not hold: send each with PUT /api/jobs/:id/blobs/:digest. */
  missing: string[];
}

export interface CommitArtifactBody {
  name: string;
  files: FileEntry[];
  /** upload-artifact `retention-days`; 0 or absent for the default. */
  retentionDays?: number;
  overwrite?: boolean;
}

export interface ArtifactListResponse {
  artifacts: ArtifactInfo[];
}

export interface ArtifactFilesResponse {
  files: FileEntry[];
}

export interface CacheLookupBody {
  key: string;
  restoreKeys: string[];
  /** computeCacheVersion of the path input. */
  version: string;
  /** actions/cache `lookup-only`: the entry is not marked as used. */
  lookupOnly?: boolean;
}

export interface CacheLookupResponse {
  /** Null on a miss. `id` names the entry for GET /api/jobs/:id/caches/:entryId/blobs/:digest. */
  entry: { id: string; key: string; files: CacheFileEntry[] } | null;
}

export interface CommitCacheBody {
  key: string;
  version: string;
  files: CacheFileEntry[];
}

export type CommitCacheResponse = SaveCacheResult;
