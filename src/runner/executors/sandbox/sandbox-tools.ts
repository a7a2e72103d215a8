// Host programs the sandbox relies on (bwrap, setpriv when root) and handing data to them through extra fds. Runs nothing itself.
import type { ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { delimiter } from "node:path";
import { findExecutable } from "../../find-executable.js";
import { RunnerError } from "../../runner-error.js";

/** PATH for the wrapper shell and helpers that run outside the sandbox; never the job's own PATH. */
export const hostToolsPath = "/usr/sbin:/usr/bin:/sbin:/bin";

export interface SandboxTools {
  bwrap: string;
  /** Set when the runner is root: drops to the job's uid before bwrap runs. */
  setpriv?: string;
  isRoot: boolean;
}

export function findSandboxTools(bwrapPath: string | undefined): SandboxTools {
  const path = process.env.PATH ? `${process.env.PATH}${delimiter}${hostToolsPath}` : hostToolsPath;
  const bwrap = findExecutable(bwrapPath ?? "bwrap", path);
  if (!bwrap) {
    throw new RunnerError(
      "RUNNER_ISOLATION_UNAVAILABLE",
      `bubblewrap (${bwrapPath ?? "bwrap"}) was not found: install the Debian package bubblewrap`,
    );
  }
  const isRoot = process.geteuid?.() === 0;
  if (!isRoot) return { bwrap, isRoot };
  const setpriv = findExecutable("setpriv", path);
  if (!setpriv) {
    throw new RunnerError(
      "RUNNER_ISOLATION_UNAVAILABLE",
      "setpriv was not found: install the Debian package util-linux",
    );
  }
  return { bwrap, setpriv, isRoot };
}

/** A child that dies before reading its fd has already told us why through its exit; the write error adds nothing. */
export function writeToChild(child: ChildProcess, fd: number, data: Buffer): void {
  const stream = child.stdio[fd] as Writable;
  stream.on("error", () => {});
  stream.end(data);
}
