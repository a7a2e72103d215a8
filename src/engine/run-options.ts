// What a caller (CLI, server) gives the engine for one run.
import type { ExpressionValue, SourceFile } from "../workflow/index.js";
import type { GateJob } from "./environment-gate.js";
import type { ConcurrencyControl } from "./concurrency-groups.js";
import type {
  ActionSource,
  JobControl,
  JobInstanceResult,
  JobRequest,
  RunIdentity,
  RunnerPlacement,
  ToolSourceSettings,
  TriggeringEvent,
} from "../runner/index.js";

/** Where job instances run: in this process with an executor, or handed to a server's queue by `dispatchJob`. */
export type JobPlacement =
  | (RunnerPlacement & { dispatchJob?: undefined })
  | {
      dispatchJob: (request: JobRequest, control: JobControl) => Promise<JobInstanceResult>;
      executor?: undefined;
    };

export type RunOptions = RunSettings & JobPlacement;

export interface RunSettings {
  identity: RunIdentity;
  event: TriggeringEvent;
  inputs?: Record<string, ExpressionValue>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** The checkout each job's workspace starts as a copy of, instead of an empty one. */
  workspace?: string;
  /** Work in `workspace` itself instead of a copy per job (`hangar run --bind`). */
  bindWorkspace?: boolean;
  /** The git repository actions/checkout reads from, on this machine. */
  sourceRepository?: string;
  /** The repository's git URL or path, for runners elsewhere that have no `sourceRepository`. */
  checkoutUrl?: string;
  /** Hangar's data directory: action store, artifacts, caches. */
  dataDir: string;
  /** Refuse remote actions not pinned to a full commit SHA (GitHub's organization policy of that name). */
  requirePinnedActions?: boolean;
  /** Built-in actions to run as the real ones from the action store (`--real-actions`). */
  realActions?: string[];
  /** Where remote actions and reusable workflows missing from the store are fetched from; absent, none is. */
  actionSource?: ActionSource;
  /** Only these jobs (and the jobs they need, so that `needs` outputs exist). */
  jobs?: string[];
  /** Job instances running at once; defaults to the number of cores. */
  maxParallel?: number;
  /** The environment processes inherit before GitHub's variables and `env:` apply. */
  baseEnv?: Record<string, string>;
  runnerName?: string;
  stepDebug?: boolean;
  /** Where setup-node and setup-python find versions the tool cache lacks (`--tool-source`, `--*-mirror`). */
  toolSources?: ToolSourceSettings;
  /** Shared by every run that must respect `concurrency:` across runs (a server's runs); absent, it is ignored. */
  concurrencyGroups?: ConcurrencyControl;
  /** Jobs (by id) that succeeded in the previous attempt and keep their outputs instead of running again. */
  reuseJobs?: Record<string, { outputs: Record<string, string> }>;
  /**
   * The protection rules of jobs that name an `environment:` (the server's gates). Absent, as in `hangar run`, such
   * jobs run at once and record no deployment.
   */
  gateJob?: GateJob;
  /** Reads a reusable workflow named by `jobs.<id>.uses`; throws an Error whose message says why it cannot. */
  readCalledWorkflow?: (uses: string) => Promise<SourceFile>;
}
