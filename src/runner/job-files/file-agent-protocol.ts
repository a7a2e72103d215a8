// The wire format between the runner and the file agent it starts inside a job (file-agent/main.ts); contract: both
// sides change together, and the runner trusts nothing the agent sends (the job may have replaced the agent).
//
// Both directions are frames: type u8, payload length u32 (big-endian), payload. The runner writes a REQUEST (JSON),
// then for a write the tree's entries; the agent answers with entries for a read, then DONE (JSON) or FAIL (JSON).
// A file entry is ENTRY (JSON header) + DATA frames + END; a directory or symlink entry is ENTRY alone.
// Hand-written: a five-byte header needs no serialisation library.

export const agentFrameTypes = {
  request: 0x01,
  entry: 0x02,
  data: 0x03,
  end: 0x04,
  done: 0x05,
  fail: 0x06,
} as const;

export type AgentFrameType = (typeof agentFrameTypes)[keyof typeof agentFrameTypes];

export interface AgentFrame {
  type: number;
  payload: Buffer;
}

const headerLength = 5;
/** Data frames carry at most this much; JSON frames (a request with many patterns, an answer) up to the max. */
export const dataChunkBytes = 256 * 1024;
export const maxFramePayload = 4 * 1024 * 1024;

export function encodeAgentFrame(type: AgentFrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  if (body.length > maxFramePayload)
    throw new RangeError(`a frame of ${body.length} bytes is over the limit`);
  const header = Buffer.alloc(headerLength);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

export function encodeJsonFrame(type: AgentFrameType, value: unknown): Buffer {
  return encodeAgentFrame(type, JSON.stringify(value));
}

/** Cuts a byte stream into frames, a frame arriving split across any number of chunks; refuses oversized ones. */
export class AgentFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: AgentFrame) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= headerLength) {
      const length = this.pending.readUInt32BE(1);
      if (length > maxFramePayload) throw new RangeError(`a frame announced ${length} bytes, over the limit`);
      if (this.pending.length < headerLength + length) return;
      const frame = {
        type: this.pending.readUInt8(0),
        payload: this.pending.subarray(headerLength, headerLength + length),
      };
      this.pending = this.pending.subarray(headerLength + length);
      this.onFrame(frame);
    }
  }

  /** True when no partial frame is left over: a stream that ends mid-frame was cut off. */
  get isAtBoundary(): boolean {
    return this.pending.length === 0;
  }
}

/** The directories files may be stored relative to, by name, as each side sees them (see CacheFileEntry.base). */
export type AgentBases = Record<string, string>;

/** What the agent does; each request is one process. */
export type AgentRequest =
  | {
      /** Globs like upload-artifact and actions/cache do and sends every matched regular file. */
      op: "collect";
      patterns: string;
      cwd: string;
      followSymbolicLinks: boolean;
      implicitDescendants: boolean;
      excludeHiddenFiles: boolean;
      /** Named directories each file is classified under (the longest that holds it); the agent adds home and tmp. */
      bases: AgentBases;
    }
  | {
      /** hashFiles(): GitHub's algorithm over the files that are inside the workspace once links are resolved. */
      op: "hash";
      patterns: string[];
      workspace: string;
      followSymbolicLinks: boolean;
    }
  | {
      /** Writes the entries that follow below `target`, or below their base's directory when they name one. */
      op: "write";
      target: string;
      bases: AgentBases;
      /** actions/checkout: `target` must be empty or a git work tree, and is emptied first. */
      replace: boolean;
    }
  | {
      /** One small file, e.g. a version file or an action's metadata. */
      op: "read";
      path: string;
      /** When set, the file's real path must be inside this directory's real path. */
      inside?: string;
      maxBytes: number;
    }
  | {
      /** A local action: the directory's real path (inside `inside`) and which metadata file it has. */
      op: "find-action";
      dir: string;
      inside: string;
      maxBytes: number;
    }
  | {
      /** Every entry below `dir` (files, directories, symlinks as links), e.g. a Docker action's build context. */
      op: "read-tree";
      dir: string;
      inside: string;
      maxBytes: number;
    };

export type CollectRequest = Omit<Extract<AgentRequest, { op: "collect" }>, "op">;
export type WriteRequest = Omit<Extract<AgentRequest, { op: "write" }>, "op">;

/** One file, directory or link of a tree, by its '/'-separated path below the tree's root (or its base). */
export interface AgentEntry {
  path: string;
  kind: "file" | "directory" | "symlink";
  mode: number;
  /** A symlink's target, as stored. */
  target?: string;
  /** collect: the base the file was classified under, with `path` relative to it; absent when none holds it. */
  base?: string;
  /** collect: the path as globbed, absolute in the job's view. */
  absolute?: string;
}

export interface AgentCollectDone {
  /** @actions/glob's search paths, for upload-artifact's root. */
  searchPaths: string[];
}

export interface AgentHashDone {
  hash: string;
}

export interface AgentReadDone {
  /** Real path in the job's view. */
  path: string;
  /** base64. */
  content: string;
}

export interface AgentFindActionDone {
  dir: string;
  /** action.yml, action.yaml or Dockerfile; absent when none is there. */
  file?: string;
  /** base64 of the metadata file (not of a Dockerfile). */
  content?: string;
}

/** Why the agent refused, for the runner to tell a missing file from the rest. */
export type AgentRefusalCode =
  "ENOENT" | "OUTSIDE" | "TOO_LARGE" | "NOT_EMPTY" | "NO_WORKSPACE" | "INVALID_PATTERN" | "INVALID";

export interface AgentFailure {
  message: string;
  code?: AgentRefusalCode | string;
}

/** Names the agent uses for directories it finds itself. */
export const agentOwnBases = { home: "home", tmp: "tmp" } as const;
