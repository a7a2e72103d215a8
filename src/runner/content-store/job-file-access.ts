// How the artifact and cache stores reach a job's files: through the file agent inside the job, never by path from the
// runner; bytes coming out land in blobs, bytes going in stream out of blobs.
import { createReadStream } from "node:fs";
import type {
  AgentBases,
  AgentCollectDone,
  AgentEntry,
  CollectRequest,
  WriteRequest,
} from "../job-files/file-agent-protocol.js";
import { FileAgentRefusal, type EntryHandler, type OutgoingEntry } from "../job-files/job-file-agent.js";
import type { BlobSink, BlobStore } from "./blob-store.js";
import { ContentStoreError } from "./content-store-error.js";
import type { FileEntry } from "./manifest.js";

/** One job's files as its own processes see them (JobFileAgent.access gives one). */
export interface JobFileAccess {
  collect(request: CollectRequest, handler: EntryHandler): Promise<AgentCollectDone>;
  write(request: WriteRequest, entries: AsyncIterable<OutgoingEntry>): Promise<void>;
}

/** A matched file whose bytes are now a blob; `entry` is what the agent said of it, not yet validated. */
export interface CollectedFile {
  entry: AgentEntry;
  digest: string;
  size: number;
}

/** Globs inside the job and stores every matched file's bytes as a blob, one chunk in memory at a time. */
export async function collectIntoBlobs(
  files: JobFileAccess,
  blobs: BlobStore,
  request: CollectRequest,
  maxBlobBytes?: number,
): Promise<{ collected: CollectedFile[]; searchPaths: string[] }> {
  const collected: CollectedFile[] = [];
  let current: { entry: AgentEntry; sink: BlobSink } | undefined;
  try {
    const done = await files.collect(request, {
      onEntry(entry) {
        if (entry.kind !== "file") throw new Error(`protocol violation: a collected ${entry.kind}`);
        current = { entry, sink: blobs.openSink(maxBlobBytes) };
      },
      onData(chunk) {
        current!.sink.write(chunk);
      },
      onEnd() {
        const blob = current!.sink.finish();
        collected.push({ entry: current!.entry, ...blob });
        current = undefined;
      },
    });
    const searchPaths = Array.isArray(done.searchPaths)
      ? done.searchPaths.filter((each): each is string => typeof each === "string")
      : [];
    return { collected, searchPaths };
  } catch (error) {
    if (error instanceof FileAgentRefusal && error.code === "NO_WORKSPACE") {
      throw new ContentStoreError("STORE_WORKSPACE_MISSING", error.message, { cause: error });
    }
    if (error instanceof FileAgentRefusal && error.code === "INVALID_PATTERN") {
      throw new ContentStoreError(
        "STORE_INVALID_PATTERN",
        `Cannot search the path input under ${request.cwd}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    current?.sink.abort();
  }
}

/** Writes stored files into the job, each `entries[i]` at `paths[i]` (below the request's target or its base). */
export async function writeFromBlobs(
  files: JobFileAccess,
  blobs: BlobStore,
  request: WriteRequest,
  entries: ReadonlyArray<FileEntry & { base?: string }>,
): Promise<void> {
  for (const entry of entries) validateStoredPath(entry.path);
  await files.write(request, outgoing(blobs, entries));
}

async function* outgoing(
  blobs: BlobStore,
  entries: ReadonlyArray<FileEntry & { base?: string }>,
): AsyncGenerator<OutgoingEntry> {
  for (const { path, mode, digest, base } of entries) {
    if (!(await blobs.has(digest))) throw blobs.missingError(digest);
    yield {
      entry: { path, kind: "file", mode, ...(base === undefined ? {} : { base }) },
      open: () => createReadStream(blobs.pathOf(digest)),
    };
  }
}

/** Stored paths become paths in other jobs and names in zips: relative, with no empty, `.` or `..` segment. */
export function validateStoredPath(filePath: string): void {
  const segments = filePath.split("/");
  if (
    filePath.startsWith("/") ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..")
  ) {
    throw new ContentStoreError(
      "STORE_INVALID_FILE_PATH",
      `The stored path '${filePath}' must be relative, without empty, '.' or '..' segments.`,
    );
  }
}

export type { AgentBases };
