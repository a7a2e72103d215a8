// The hashFiles() expression function: GitHub's algorithm over @actions/glob, run by the file agent inside the job.
import type { AgentHashDone } from "./job-files/file-agent-protocol.js";
import { FileAgentRefusal, type JobFileAgent } from "./job-files/job-file-agent.js";
import { RunnerError } from "./runner-error.js";

/** The runner gives up after this long (runner: HashFilesFunction). */
export const hashFilesTimeoutMs = 120_000;

const followSymbolicLinksOption = "--follow-symbolic-links";

/** Where hashFiles runs: the job's file agent, in the job's own view of its workspace. */
export interface HashFilesHost {
  agent: JobFileAgent;
  workspace: string;
  signal?: AbortSignal;
}

/**
 * `hashFiles(...patterns)` (docs: "Expressions", hashFiles): a hex sha256 over the sha256 of each matched regular
 * file in glob order (actions/runner src/Misc/expressionFunc/hashFiles), or "" when no file matches. A first pattern
 * `--follow-symbolic-links` makes the glob follow symlinks, as on GitHub; a file whose real path leaves the workspace
 * is skipped, as GitHub skips files outside it. The files are read by the file agent inside the job, so a pattern
 * reaches only what the job itself can.
 * Rejects with RunnerError RUNNER_HASH_FILES_FAILED on an invalid option, pattern or read error.
 */
export async function hashFiles(host: HashFilesHost, patterns: string[]): Promise<string> {
  let followSymbolicLinks = false;
  let globPatterns = patterns;
  if (patterns[0]?.startsWith("--")) {
    if (patterns[0].toLowerCase() !== followSymbolicLinksOption) {
      throw new RunnerError(
        "RUNNER_HASH_FILES_FAILED",
        `Invalid glob option ${patterns[0]}, available option: '${followSymbolicLinksOption}'.`,
      );
    }
    followSymbolicLinks = true;
    globPatterns = patterns.slice(1);
  }
  try {
    const done = await host.agent.call<AgentHashDone>(
      { op: "hash", patterns: globPatterns, workspace: host.workspace, followSymbolicLinks },
      { env: {}, signal: host.signal, timeoutMs: hashFilesTimeoutMs },
    );
    if (typeof done.hash !== "string" || !/^([0-9a-f]{64})?$/.test(done.hash)) {
      throw new RunnerError(
        "RUNNER_FILE_AGENT_FAILED",
        "the file agent answered a hash that is not sha256 hex",
      );
    }
    return done.hash;
  } catch (error) {
    if (!(error instanceof FileAgentRefusal) && !(error instanceof RunnerError)) throw error;
    throw new RunnerError(
      "RUNNER_HASH_FILES_FAILED",
      `hashFiles('${globPatterns.join(", ")}') failed. Fail to hash files under directory '${host.workspace}': ${error.message}`,
      { cause: error },
    );
  }
}
