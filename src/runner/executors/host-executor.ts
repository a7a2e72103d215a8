// Runs step processes directly on this machine, each in its own process group; owns the per-job directories under its base dir.
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { RunnerError } from "../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../types.js";
import { jobDirectoriesIn, makeJobRoot } from "./job-root.js";
import { signalProcessGroup, superviseProcess } from "./supervise-process.js";

export { killGracePeriodMs } from "./supervise-process.js";

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
    const root = await makeJobRoot(this.baseDir, spec);
    this.jobRoots.add(root);
    const dirs = jobDirectoriesIn(root, spec.workspace);

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

  /** See superviseProcess; the step's processes are its process group. */
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult> {
    return superviseProcess(
      spec,
      () =>
        spawn(spec.command, spec.args, {
          cwd: spec.cwd,
          env: spec.env,
          // Leading its own process group lets us signal every descendant at once.
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      (child) => ({ signal: (signal) => signalProcessGroup(child.pid, signal) }),
      onOutput,
    );
  }
}
