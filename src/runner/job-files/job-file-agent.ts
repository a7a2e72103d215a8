// The runner's side of the file agent: starts it inside the job through the job's executor, streams a request and
// entries in, and checks every frame that comes back, since the job may have replaced the agent with its own program.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { packageFile } from "../../package-files.js";
import { HangarError } from "../hangar-error.js";
import { RunnerError } from "../runner-error.js";
import type { Executor, JobDirectories } from "../types.js";
import { anchorInJob } from "./job-anchor.js";
import { writeFileBeneath } from "./open-beneath.js";
import {
  AgentFrameReader,
  agentFrameTypes,
  dataChunkBytes,
  encodeAgentFrame,
  encodeJsonFrame,
  type AgentCollectDone,
  type AgentEntry,
  type AgentFrame,
  type AgentRequest,
  type CollectRequest,
  type WriteRequest,
} from "./file-agent-protocol.js";

/** Built by scripts/build.mjs. */
const bundlePath = packageFile("dist/file-agent.mjs");
/** Where each job gets its copy: its actions dir is visible at the same path on every executor. */
const agentFileName = ".hangar-file-agent.mjs";
/** Diagnostics the agent printed (or @actions/glob's debug lines) kept for an error message. */
const stderrTailBytes = 4096;

/** Receives what the agent sends for a read; a handler that throws stops the agent and fails the call. */
export interface EntryHandler {
  onEntry(entry: AgentEntry): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/** An entry of a tree the runner writes through the agent; `open` gives a file's bytes. */
export interface OutgoingEntry {
  entry: AgentEntry;
  open?: () => Readable;
}

/** A failure the agent reported: the user's problem (a missing file, a path outside), shown as the step's error. */
export class FileAgentRefusal extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "FileAgentRefusal";
  }
}

export interface FileAgentCall {
  /** The step's environment: its HOME is where `~` leads. NODE_* variables are dropped so the agent starts clean. */
  env: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class JobFileAgent {
  #isStaged = false;

  constructor(
    private readonly executor: Executor,
    private readonly dirs: JobDirectories,
  ) {}

  /** Where the agent runs from in the job's view. */
  get scriptPath(): string {
    return path.join(this.dirs.actions, agentFileName);
  }

  /**
   * Runs one request. Resolves with the agent's DONE answer; rejects with FileAgentRefusal when the agent refused,
   * RunnerError RUNNER_FILE_AGENT_FAILED when it broke the protocol or could not run.
   */
  async call<Done>(
    request: AgentRequest,
    options: FileAgentCall & { entries?: AsyncIterable<OutgoingEntry>; handler?: EntryHandler },
  ): Promise<Done> {
    await this.stage();
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let answer: { done?: unknown; failure?: { message?: unknown; code?: unknown } } = {};
    let protocolError: Error | undefined;
    let isInFile = false;
    let stderr = "";
    const fail = (error: Error): void => {
      protocolError ??= error;
      stop.abort();
    };
    const onFrame = (frame: AgentFrame): void => {
      if (answer.done !== undefined || answer.failure !== undefined) {
        throw violation("a frame after the answer");
      }
      switch (frame.type) {
        case agentFrameTypes.entry:
          if (isInFile || !options.handler) throw violation("an entry where none was expected");
          {
            const entry = parseEntry(frame.payload);
            options.handler.onEntry(entry);
            isInFile = entry.kind === "file";
          }
          return;
        case agentFrameTypes.data:
          if (!isInFile) throw violation("data outside a file");
          options.handler!.onData(frame.payload);
          return;
        case agentFrameTypes.end:
          if (!isInFile) throw violation("an end outside a file");
          isInFile = false;
          options.handler!.onEnd();
          return;
        case agentFrameTypes.done:
          if (isInFile) throw violation("an answer in the middle of a file");
          answer = { done: parseJson(frame.payload) };
          return;
        case agentFrameTypes.fail:
          answer = { failure: parseJson(frame.payload) as typeof answer.failure };
          return;
        default:
          throw violation(`frame type ${frame.type}`);
      }
    };
    const reader = new AgentFrameReader(onFrame);
    const stdin = Readable.from(outgoingFrames(request, options.entries));
    // What the runner sends can fail too (a blob gone from the store): that ends the call with its own error.
    stdin.once("error", fail);
    const result = await this.executor.exec(
      {
        job: this.dirs,
        command: process.execPath,
        args: [this.scriptPath],
        cwd: this.dirs.workspace,
        env: withoutNodeVariables(options.env),
        signal,
        timeoutMs: options.timeoutMs,
        stdin,
      },
      (chunk, stream) => {
        if (stream === "stderr") {
          stderr = (stderr + chunk.toString("utf8")).slice(-stderrTailBytes);
          return;
        }
        if (protocolError) return;
        try {
          reader.push(chunk);
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      },
    );
    if (protocolError) {
      // Our own faults (a handler's, the outgoing side's) keep their codes; anything else broke the protocol.
      if (protocolError instanceof HangarError) throw protocolError;
      throw new RunnerError(
        "RUNNER_FILE_AGENT_FAILED",
        `the file agent in the job: ${protocolError.message}`,
        {
          cause: protocolError,
        },
      );
    }
    if (result.cancelled || result.timedOut) {
      throw new RunnerError(
        "RUNNER_FILE_AGENT_FAILED",
        result.cancelled ? "The operation was canceled." : "The operation timed out.",
      );
    }
    if (answer.failure) {
      const message = typeof answer.failure.message === "string" ? answer.failure.message : "unknown failure";
      throw new FileAgentRefusal(
        message.slice(0, 2000),
        typeof answer.failure.code === "string" ? answer.failure.code : undefined,
      );
    }
    if (result.exitCode !== 0 || answer.done === undefined || !reader.isAtBoundary) {
      const detail = stderr.trim().split("\n").slice(-3).join(" ");
      throw new RunnerError(
        "RUNNER_FILE_AGENT_FAILED",
        `the file agent in the job ended without an answer (exit code ${result.exitCode ?? result.signal})${detail ? `: ${detail}` : ""}`,
      );
    }
    return answer.done as Done;
  }

  /** The agent's file operations with one step's environment and signal, for the artifact and cache stores. */
  access(call: FileAgentCall): {
    collect(request: CollectRequest, handler: EntryHandler): Promise<AgentCollectDone>;
    write(request: WriteRequest, entries: AsyncIterable<OutgoingEntry>): Promise<void>;
  } {
    return {
      collect: (request, handler) => this.call({ op: "collect", ...request }, { ...call, handler }),
      write: async (request, entries) => {
        await this.call({ op: "write", ...request }, { ...call, entries });
      },
    };
  }

  /** Copies the bundle into the job's actions dir once per job (through no link the job may have planted). */
  private async stage(): Promise<void> {
    if (this.#isStaged) return;
    if (!existsSync(bundlePath)) {
      throw new RunnerError(
        "RUNNER_FILE_AGENT_FAILED",
        `the file agent ${bundlePath} is missing: build it with 'npm run build'`,
      );
    }
    const { anchor, relative } = anchorInJob(this.dirs, this.scriptPath);
    await writeFileBeneath(anchor, relative, readFileSync(bundlePath), 0o644);
    this.#isStaged = true;
  }
}

async function* outgoingFrames(
  request: AgentRequest,
  entries: AsyncIterable<OutgoingEntry> | undefined,
): AsyncGenerator<Buffer> {
  yield encodeJsonFrame(agentFrameTypes.request, request);
  if (!entries) return;
  for await (const { entry, open } of entries) {
    yield encodeJsonFrame(agentFrameTypes.entry, entry);
    if (entry.kind !== "file") continue;
    if (open) {
      for await (const chunk of open() as AsyncIterable<Buffer>) {
        for (let start = 0; start < chunk.length; start += dataChunkBytes) {
          yield encodeAgentFrame(agentFrameTypes.data, chunk.subarray(start, start + dataChunkBytes));
        }
      }
    }
    yield encodeAgentFrame(agentFrameTypes.end);
  }
  yield encodeJsonFrame(agentFrameTypes.done, {});
}

function withoutNodeVariables(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith("NODE_")));
}

function violation(what: string): Error {
  return new Error(`protocol violation: ${what}`);
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    throw violation("a frame that is not JSON");
  }
}

/** Entries come from the job: only their shape is checked here; paths are the caller's to validate. */
function parseEntry(payload: Buffer): AgentEntry {
  const value = parseJson(payload) as Partial<AgentEntry> | null;
  const isValid =
    value !== null &&
    typeof value === "object" &&
    typeof value.path === "string" &&
    (value.kind === "file" || value.kind === "directory" || value.kind === "symlink") &&
    Number.isInteger(value.mode) &&
    (value.target === undefined || typeof value.target === "string") &&
    (value.base === undefined || typeof value.base === "string") &&
    (value.absolute === undefined || typeof value.absolute === "string");
  if (!isValid) throw violation("a malformed entry");
  return value as AgentEntry;
}
