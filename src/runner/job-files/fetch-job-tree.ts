// Copies a directory of the job's (a local Docker action) out of the job into a fresh directory of the runner's own,
// so that a tool the runner starts (buildah) reads files the job can no longer change or point elsewhere.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { AgentEntry } from "./file-agent-protocol.js";
import type { FileAgentCall, JobFileAgent } from "./job-file-agent.js";
import {
  createFileBeneath,
  createSymlinkBeneath,
  makeDirectoryBeneath,
  splitRelativePath,
} from "./open-beneath.js";

/** A Docker action's build context is a few files; the agent refuses a tree past this. */
export const fetchedTreeMaxBytes = 64 * 1024 * 1024;

/**
 * Reads `dir` (which must be inside `inside` once links are resolved in the job's view) through the file agent and
 * recreates it in a new temp directory, entries checked and written through no link (the agent's answer is the job's).
 * The caller removes the returned directory.
 */
export async function fetchJobTree(
  agent: JobFileAgent,
  request: { dir: string; inside: string },
  call: FileAgentCall,
): Promise<string> {
  const received: Array<{ entry: AgentEntry; chunks: Buffer[] }> = [];
  await agent.call(
    { op: "read-tree", ...request, maxBytes: fetchedTreeMaxBytes },
    {
      ...call,
      handler: {
        onEntry(entry) {
          splitRelativePath(entry.path);
          received.push({ entry, chunks: [] });
        },
        onData(chunk) {
          received.at(-1)!.chunks.push(chunk);
        },
        onEnd() {},
      },
    },
  );
  const target = await mkdtemp(path.join(os.tmpdir(), "hangar-job-tree-"));
  try {
    for (const { entry, chunks } of received) {
      if (entry.kind === "directory") await makeDirectoryBeneath(target, entry.path);
      else if (entry.kind === "symlink") await createSymlinkBeneath(target, entry.path, entry.target ?? "");
      else await createFileBeneath(target, entry.path, Buffer.concat(chunks), entry.mode & 0o777);
    }
    return target;
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw error;
  }
}
