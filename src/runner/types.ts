// The runner's public types: how the engine hands a step to a runner and what comes back.
import type { Readable } from "node:stream";
import type { Conclusion } from "../contracts/index.js";

/** One line of output after workflow commands were interpreted and secrets masked. */
export interface LogLine {
  stream: "stdout" | "stderr" | "system";
  text: string;
  /** Set for `::group::` (start, text is the title) and `::endgroup::` (end). */
  group?: "start" | "end";
  annotation?: Annotation;
  /** `::debug::` lines; shown only when step debug logging is on. */
  debug?: boolean;
}

export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

/** What a process run by an executor looks like to the executor. */
export interface ExecSpec {
  /** The job this process belongs to, as prepare() returned it: an isolating executor runs it in that job's jail. */
  job: JobDirectories;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Aborting kills the whole process group (TERM, grace period, then KILL). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * The process's standard input, read as fast as the process takes it and closed when the stream ends; without it
   * stdin is empty. Bytes the process leaves unread when it exits are dropped.
   */
  stdin?: Readable;
}

export interface ExecResult {
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
}

/** The directories a job runs in; the executor decides where they live. */
export interface JobDirectories {
  workspace: string;
  /** RUNNER_TEMP: emptied per job. */
  temp: string;
  /** Per-job scratch for env files and scripts; never the user's workspace. */
  fileCommands: string;
  /** RUNNER_TOOL_CACHE: the runner's shared tool cache, read-only to isolated jobs; a per-job dir where the executor cannot show it. */
  toolCache: string;
  /** Copies of the store's actions this job uses: an isolated job sees these, never the store. */
  actions: string;
}

export interface PrepareJobSpec {
  runId: string;
  jobKey: string;
  /** The checkout the job's workspace starts as a copy of (`hangar run`); see copy-checkout.ts. */
  workspace?: string;
  /** Work in `workspace` itself rather than a copy (`hangar run --bind`): the job's writes reach the checkout. */
  bindWorkspace?: boolean;
  /**
   * What the job's processes may reach: the host's network, or none at all (loopback of their own only). Default
   * "host". An executor that cannot take the network away refuses "none" rather than ignore it.
   */
  network?: JobNetwork;
  /** The runner's shared tool cache (an absolute host path): the job sees it read-only as its RUNNER_TOOL_CACHE. */
  toolCache?: string;
}

export type JobNetwork = "host" | "none";

/** Where and how processes run: host, sandbox or microVM. The engine never knows which. */
export interface Executor {
  readonly name: string;
  prepare(spec: PrepareJobSpec): Promise<JobDirectories>;
  exec(spec: ExecSpec, onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void): Promise<ExecResult>;
  cleanup(dirs: JobDirectories): Promise<void>;
  /** The job's `toolCache` is its own view of the shared cache prepare() was given (ToolCache.openView). */
  readonly toolCacheIsView?: boolean;
  /**
   * Where the job's processes would find `command` on `pathVariable` (a shell, say); undefined when they would not.
   * Absent: this machine's filesystem answers, as the host executor sees it.
   */
  findExecutable?(command: string, pathVariable: string | undefined): string | undefined;
}

/** What running one step changed, for the engine to fold into the job's state. */
export interface StepResult {
  outcome: Conclusion;
  exitCode: number | null;
  timedOut: boolean;
  outputs: Record<string, string>;
  /** GITHUB_ENV additions, applied to later steps. */
  env: Record<string, string>;
  /** GITHUB_PATH additions, prepended for later steps (latest first). */
  path: string[];
  /** GITHUB_STATE / save-state values for the action's post step. */
  state: Record<string, string>;
  /** GITHUB_STEP_SUMMARY markdown, already masked. */
  summary: string;
  annotations: Annotation[];
  /** Our own breakage (could not spawn ...), never the user's failure. */
  error?: string;
}
