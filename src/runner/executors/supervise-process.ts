// Supervising one step process for an executor: output streaming, timeout and abort (TERM, grace period, KILL of everything the step started), the ExecResult. Does not spawn or decide what "everything" is.
import type { ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { RunnerError } from "../runner-error.js";
import type { ExecResult, ExecSpec } from "../types.js";

/** Time between SIGTERM and SIGKILL for the process group (style guide: signal, grace period, kill). */
export const killGracePeriodMs = 2500;
/** How often a killed group is checked for survivors before the grace period ends. */
const groupPollMs = 50;
/** How long a SIGKILLed process group may take to disappear before exec returns anyway (zombies may never be reaped). */
const processGroupSettleMs = 1000;

/** What supervision needs of an ExecSpec: a container's exec has no job directories of its own. */
export type SupervisedSpec = Pick<ExecSpec, "command" | "args" | "cwd" | "signal" | "timeoutMs" | "stdin">;

/** A spawned child whose output we read; its stdin is a pipe when the spec has one (see stdinOf), extra fds are the executor's. */
export type SupervisedChild = ChildProcess & { stdout: Readable; stderr: Readable };

/** The spawn option for fd 0 that superviseProcess expects. */
export function stdinOf(spec: Pick<SupervisedSpec, "stdin">): "pipe" | "ignore" {
  return spec.stdin ? "pipe" : "ignore";
}

/** Every process a step started: a process group on the host, a cgroup in the sandbox. */
export interface ProcessTree {
  /** Sends the signal to every member; signal 0 only probes. True when any member was still there. */
  signal(signal: NodeJS.Signals | 0): boolean;
  /**
   * How long after SIGKILL exec keeps waiting for the tree to empty. A cgroup lists no zombies, so it
   * can afford to wait for a loaded host to finish delivering the kills; a process group cannot.
   */
  settleMs?: number;
}

/**
 * Resolves once the process exited and its output streams closed. Rejects with RunnerError
 * RUNNER_SPAWN_FAILED when the process cannot start (missing command or cwd, no permission):
 * that is our breakage, not a step that ran and failed.
 */
export function superviseProcess(
  spec: SupervisedSpec,
  start: () => SupervisedChild,
  getTree: (child: SupervisedChild) => ProcessTree,
  onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    if (spec.signal?.aborted) {
      resolvePromise({ exitCode: null, signal: null, timedOut: false, cancelled: true });
      return;
    }
    let child: SupervisedChild;
    try {
      child = start();
    } catch (error) {
      reject(spawnFailure(spec, error));
      return;
    }
    const tree = getTree(child);
    let timedOut = false;
    let cancelled = false;
    let isKilling = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let hasExited = false;
    let isKillEscalated = false;
    let killedAt: number | undefined;

    const terminate = (): void => {
      if (isKilling || exit) return;
      isKilling = true;
      tree.signal("SIGTERM");
      killTimer = setTimeout(() => {
        killTimer = undefined;
        isKillEscalated = true;
        killedAt = Date.now();
        tree.signal("SIGKILL");
        if (hasExited) releaseStreams();
        finish();
      }, killGracePeriodMs);
    };
    /**
     * A process that left the group (setsid, a daemon) can hold our pipes open forever; once the
     * group got SIGKILL and the leader is gone, stop waiting for its output.
     */
    const releaseStreams = (): void => {
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const onAbort = (): void => {
      cancelled = true;
      terminate();
    };
    const cleanupListeners = (): void => {
      spec.signal?.removeEventListener("abort", onAbort);
      if (timeoutTimer) clearTimeout(timeoutTimer);
    };
    let isSettled = false;
    const finish = (): void => {
      if (isSettled || !exit) return;
      // After a kill, wait until no member of the group survives: during the grace period, and for a
      // bounded moment after SIGKILL, which the kernel delivers before the process is actually gone.
      const isWaitingForGroup =
        killTimer !== undefined ||
        (killedAt !== undefined && Date.now() - killedAt < (tree.settleMs ?? processGroupSettleMs));
      // Killing again catches members forked while the previous SIGKILL was on its way.
      if (isWaitingForGroup && tree.signal(killedAt === undefined ? 0 : "SIGKILL")) {
        setTimeout(finish, groupPollMs);
        return;
      }
      isSettled = true;
      if (killTimer) clearTimeout(killTimer);
      cleanupListeners();
      resolvePromise({ exitCode: exit.code, signal: exit.signal, timedOut, cancelled });
    };

    if (spec.stdin && child.stdin) feedStdin(spec.stdin, child.stdin);
    child.stdout.on("data", (chunk: Buffer) => onOutput(chunk, "stdout"));
    child.stderr.on("data", (chunk: Buffer) => onOutput(chunk, "stderr"));
    child.once("error", (error) => {
      if (child.pid !== undefined) return; // Errors after a successful spawn end in "close".
      isSettled = true;
      cleanupListeners();
      reject(spawnFailure(spec, error));
    });
    child.once("exit", () => {
      hasExited = true;
      if (isKillEscalated) releaseStreams();
    });
    child.once("close", (code, signal) => {
      exit = { code, signal };
      finish();
    });
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    if (spec.timeoutMs !== undefined) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, spec.timeoutMs);
    }
  });
}

/**
 * Pipes with backpressure. A process that exits or closes its stdin early ends the feed (EPIPE is expected then),
 * and a source that fails closes the process's stdin: either way nobody waits on the other.
 */
function feedStdin(source: Readable, stdin: Writable): void {
  stdin.on("error", () => source.destroy());
  source.on("error", () => stdin.end());
  stdin.on("close", () => source.destroy());
  source.pipe(stdin);
}

/** Signals a process group led by `leaderPid`; ESRCH means the whole group is already gone. */
export function signalProcessGroup(leaderPid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (leaderPid === undefined) return false;
  try {
    process.kill(-leaderPid, signal);
    return true;
  } catch {
    return false;
  }
}

export function spawnFailure(spec: SupervisedSpec, error: unknown): RunnerError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RunnerError(
    "RUNNER_SPAWN_FAILED",
    `Could not start '${spec.command}' in '${spec.cwd}': ${reason}`,
    {
      cause: error,
    },
  );
}
