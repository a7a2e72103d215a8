// The contract every step kind (run script, JavaScript action, composite, built-in action) implements.
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { Contexts, ExpressionValue, StepModel } from "../../workflow/index.js";
import type { ActionSource } from "../actions/action-store.js";
import type { JobContainerSession } from "../containers/job-container-setup.js";
import type { ArtifactsAndCaches } from "../content-store/index.js";
import type { JobFileAgent } from "../job-files/job-file-agent.js";
import type { Masker } from "../masker.js";
import type { ToolCache, ToolSourceSettings } from "../tools/index.js";
import type { Executor, JobDirectories, LogLine, StepResult } from "../types.js";
import type { StepConclusion, StepRef } from "../job-events.js";

/** What stays the same for every step of one job instance. */
export interface JobRuntime {
  /** Workflow file the steps came from, for file:line:col in messages. */
  file: string;
  dirs: JobDirectories;
  executor: Executor;
  /** Reads and writes files on the job's behalf inside the job: built-in actions touch the job's files only so. */
  files: JobFileAgent;
  masker: Masker;
  stepDebug: boolean;
  /** Hangar's data directory: action store, artifacts, caches. */
  dataDir: string;
  /** Where the built-in artifact and cache actions keep their content. */
  content: ArtifactsAndCaches;
  /** The shared tool cache (RUNNER_TOOL_CACHE, which the runner fills) and where missing versions come from. */
  tools: { cache: ToolCache; sources: ToolSourceSettings };
  runId: string;
  /** GitHub's "require actions to be pinned to a full-length commit SHA" policy. */
  requirePinnedSha: boolean;
  /** Built-ins run as the real actions instead (classify-step.ts). */
  realActions: readonly string[];
  /** Where a remote action missing from the store is fetched from; absent, none is. */
  actionSource?: ActionSource;
  /** The git repository the run is about (the local checkout, or the server's mirror); checkout reads it. */
  sourceRepository?: string;
  /** The local checkout the workspace is (host executor) or a copy of (isolating executors), for `hangar run`. */
  givenWorkspace?: string;
  /** Evaluates a token with the job's hashFiles host; throws EvaluationFailure with a position. */
  evaluate(token: TemplateToken, contexts: Contexts): Promise<ExpressionValue>;
  hashFiles(patterns: string[]): Promise<string>;
  /** Queues a post step; posts run after all main steps, in reverse order of registration. */
  registerPost(post: PostStep): void;
  /** State saved by actions' `pre` phases at job start, by step, for their main and post phases. */
  preStates: WeakMap<StepModel, Record<string, string>>;
  /** The job's images and containers: Docker action steps pull and run through it. */
  containers: JobContainerSession;
  /** Runs a composite action's steps inside the current step. */
  runNestedSteps(nested: NestedSteps): Promise<NestedStepsResult>;
}

export interface NestedSteps {
  /** The action file the steps came from, for positions. */
  file: string;
  steps: StepModel[];
  /** The composite's contexts: the job's, with its own `inputs`; no steps yet. */
  contexts: Contexts;
  env: Record<string, string>;
  outerStep: { ref: StepRef; onLine: (line: LogLine) => void };
}

/** A finished step as the `steps` context shows it. */
export interface StepState {
  outputs: Record<string, string>;
  outcome: StepConclusion;
  conclusion: StepConclusion;
}

export interface NestedStepsResult {
  results: Record<string, StepState>;
  failed: boolean;
  firstFailure?: string;
}

/** One step as it is about to run: everything evaluated except what the kind evaluates itself. */
export interface StepRun {
  step: StepModel;
  ref: StepRef;
  job: JobRuntime;
  /** Contexts at this step, `env` already including the step's own env. */
  contexts: Contexts;
  /** The complete process environment: base, GitHub's variables, env context, PATH. */
  env: Record<string, string>;
  /** The evaluated `with:` values. */
  inputs: Record<string, string>;
  workingDirectory: string;
  /** `defaults.run.shell` of the job or workflow, evaluated; a step's own `shell` wins. */
  defaultShell?: string;
  timeoutMs?: number;
  signal: AbortSignal;
  onLine(line: LogLine): void;
}

export interface PostStep {
  /** Shown as `Post <name>`. */
  name: string;
  /** The id the post's step events carry: the main step's id. */
  stepId: string;
  /** GitHub's post-if; default `always()`. Evaluated with the job status at the end of the job. */
  condition: string;
  run(signal: AbortSignal, onLine: (line: LogLine) => void, env: Record<string, string>): Promise<StepResult>;
}

export type RunStepKind = (run: StepRun) => Promise<StepResult>;
