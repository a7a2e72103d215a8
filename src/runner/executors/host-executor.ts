// Runs step processes directly on this machine, each in its own process group; owns the per-job directories under its base dir.
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { RunnerError } from "../runner-error.js";
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../types.js";
import { ToolCache } from "../tools/index.js";
import { RunnerHomes, userPlacesEnv, userPlacesIn, type HeldHome } from "./runner-homes.js";
import { boundWorkspace, fillWorkspace, jobDirectoriesIn, makeJobRoot } from "./job-root.js";
import { signalProcessGroup, stdinOf, superviseProcess, type SupervisedChild } from "./supervise-process.js";

export { killGracePeriodMs } from "./supervise-process.js";

export interface HostExecutorOptions {
  /** Per-job directories are created below this directory. */
  baseDir: string;
  /** Keep each job's directories after it ends (`--keep-workspace`), telling `onKept` where they are. */
  keepWorkspace?: boolean;
  onKept?: (root: string) => void;
  /**
   * Gives each job a HOME of its own from the homes kept here (see runner-homes.ts); absent, jobs run with the
   * user's HOME, as a self-hosted runner under the user's account does.
   */
  homesDir?: string;
}

export class HostExecutor implements Executor {
  readonly name = "host";
  private readonly baseDir: string;
  private readonly keepWorkspace: boolean;
  private readonly onKept: ((root: string) => void) | undefined;
  private readonly homes: RunnerHomes | undefined;
  /** Job roots this executor created, each with the home it holds; cleanup() removes only these. */
  private readonly jobRoots = new Map<
    string,
    { home?: { held: HeldHome; userPlaces: Array<[string, string]> }; sharedToolCache?: ToolCache }
  >();
  readonly toolCacheIsView = true;

  constructor(options: HostExecutorOptions) {
    this.baseDir = resolve(options.baseDir);
    this.keepWorkspace = options.keepWorkspace ?? false;
    this.onKept = options.onKept;
    this.homes = options.homesDir ? new RunnerHomes(resolve(options.homesDir)) : undefined;
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
    const sharedToolCache = spec.toolCache ? new ToolCache(spec.toolCache) : undefined;
    // The user's places are looked up once per job, not on every process the job starts.
    const held = await this.homes?.acquire();
    const home = held && { held, userPlaces: userPlacesIn(process.env["HOME"] ?? homedir()) };
    this.jobRoots.set(root, { ...(home ? { home } : {}), ...(sharedToolCache ? { sharedToolCache } : {}) });
    const dirs = jobDirectoriesIn(root, boundWorkspace(spec));
    try {
      for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
      await sharedToolCache?.openView(dirs.toolCache);
      await fillWorkspace(dirs, spec, true);
    } catch (error) {
      await this.cleanup(dirs);
      throw error;
    }
    return dirs;
  }

  /** Removes the job's own directories (unless kept); a bound workspace lies outside them and is kept. */
  async cleanup(dirs: JobDirectories): Promise<void> {
    const root = dirname(dirs.temp);
    const job = this.jobRoots.get(root);
    if (!job) return;
    await job.home?.held.release();
    // What a real setup action installed is worth keeping, but not worth failing the job's end for.
    await job.sharedToolCache?.keepViewInstalls(dirs.toolCache).catch(() => undefined);
    this.jobRoots.delete(root);
    if (this.keepWorkspace) this.onKept?.(root);
    else await rm(root, { recursive: true, force: true });
  }

  /** See superviseProcess; the step's processes are its process group. */
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult> {
    const home = this.jobRoots.get(dirname(spec.job.temp))?.home;
    const env = home
      ? { ...spec.env, ...userPlacesEnv(home.userPlaces, spec.env), HOME: home.held.dir }
      : spec.env;
    return superviseProcess(
      spec,
      () =>
        spawn(spec.command, spec.args, {
          cwd: spec.cwd,
          env,
          // Leading its own process group lets us signal every descendant at once.
          detached: true,
          stdio: [stdinOf(spec), "pipe", "pipe"],
        }) as SupervisedChild,
      (child) => ({ signal: (signal) => signalProcessGroup(child.pid, signal) }),
      onOutput,
    );
  }
}
