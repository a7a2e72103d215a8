// Runs step processes directly on this machine, each in its own process group; owns the per-job directories under its base dir.
import type { ChildProcessByStdio } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { RunnerError } from "../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../types.js";

/** Time between SIGTERM and SIGKILL for the process group (style guide: signal, grace period, kill). */
export const killGracePeriodMs = 2500;
/** How often a killed group is checked for survivors before the grace period ends. */
const groupPollMs = 50;
/** How long a SIGKILLed group may take to disappear before exec returns anyway (zombies may never be reaped). */
const killSettleMs = 1000;

export interface HostExecutorOptions {
  /** Per-job directories are created below this directory. */
  baseDir: string;
}

export class HostExecutor implements Executor {
  readonly name = "host";
  private readonly baseDir: string;
  /** Job roots this executor created; cleanup() removes only these. */
  private readonly jobRoots = new Set<string>();

  constructor(options: HostExecutorOptions) {
    this.baseDir = resolve(options.baseDir);
  }

  async prepare(spec: PrepareJobSpec): Promise<JobDirectories> {
    if (spec.network === "none") {
      throw new RunnerError(
        "RUNNER_ISOLATION_UNAVAILABLE",
        "the host executor cannot take a job's network away; run this job with --executor sandbox or microvm",
      );
    }
    await mkdir(this.baseDir, { recursive: true });
    const label = `${spec.runId}-${spec.jobKey}`.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
    const root = await mkdtemp(join(this.baseDir, `${label}-`));
    this.jobRoots.add(root);
    const dirs: JobDirectories = {
      workspace: spec.workspace ? resolve(spec.workspace) : join(root, "workspace"),
      temp: join(root, "temp"),
      fileCommands: join(root, "file-commands"),
      toolCache: join(root, "tool-cache"),
      actions: join(root, "actions"),
    };
    for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
    return dirs;
  }

  /** Removes the job's own directories; a workspace given to prepare() lies outside them and is kept. */
  async cleanup(dirs: JobDirectories): Promise<void> {
    const root = dirname(dirs.temp);
    if (!this.jobRoots.has(root)) return;
    await rm(root, { recursive: true, force: true });
    this.jobRoots.delete(root);
  }

  /**
   * Resolves once the process exited and its output streams closed. Rejects with RunnerError
   * RUNNER_SPAWN_FAILED when the process cannot start (missing command or cwd, no permission):
   * that is our breakage, not a step that ran and failed.
   */
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult> {
    return new Promise((resolvePromise, reject) => {
      if (spec.signal?.aborted) {
        resolvePromise({ exitCode: null, signal: null, timedOut: false, cancelled: true });
        return;
      }
      let child: ChildProcessByStdio<null, Readable, Readable>;
      try {
        child = spawn(spec.command, spec.args, {
          cwd: spec.cwd,
          env: spec.env,
          // Leading its own process group lets us signal every descendant at once.
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (error) {
        reject(spawnFailure(spec, error));
        return;
      }
      let timedOut = false;
      let cancelled = false;
      let isKilling = false;
      let killTimer: NodeJS.Timeout | undefined;
      let timeoutTimer: NodeJS.Timeout | undefined;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let hasExited = false;
      let isKillEscalated = false;
      let killedAt: number | undefined;

      /** Signal 0 only probes whether any member of the group is still alive. */
      const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
        if (child.pid === undefined) return false;
        try {
          process.kill(-child.pid, signal);
          return true;
        } catch {
          return false; // ESRCH: the whole group is already gone.
        }
      };
      const terminate = (): void => {
        if (isKilling || exit) return;
        isKilling = true;
        signalGroup("SIGTERM");
        killTimer = setTimeout(() => {
          killTimer = undefined;
          isKillEscalated = true;
          killedAt = Date.now();
          signalGroup("SIGKILL");
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
          killTimer !== undefined || (killedAt !== undefined && Date.now() - killedAt < killSettleMs);
        if (isWaitingForGroup && signalGroup(0)) {
          setTimeout(finish, groupPollMs);
          return;
        }
        isSettled = true;
        if (killTimer) clearTimeout(killTimer);
        cleanupListeners();
        resolvePromise({ exitCode: exit.code, signal: exit.signal, timedOut, cancelled });
      };

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
}

function spawnFailure(spec: ExecSpec, error: unknown): RunnerError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RunnerError(
    "RUNNER_SPAWN_FAILED",
    `Could not start '${spec.command}' in '${spec.cwd}': ${reason}`,
    {
      cause: error,
    },
  );
}
