// A job instance as plain data, so it can cross a process or network boundary to whichever runner claims it.
import {
  formatDiagnostic,
  loadWorkflow,
  type Contexts,
  type PermissionsDeclaration,
  type SourceFile,
} from "../workflow/index.js";
import type { ActionSource } from "./actions/action-store.js";
import type { ArtifactsAndCaches } from "./content-store/index.js";
import type { EmitJobEvent, JobRef } from "./job-events.js";
import type { RunIdentity, TriggeringEvent } from "./github-context.js";
import { exposeSecrets, maskingEmit, type DeliveredSecrets } from "./job-secrets.js";
import { Masker } from "./masker.js";
import { runJobInstance, type JobInstanceResult } from "./run-job.js";
import { isForkPullRequestRun } from "./pull-request-origin.js";
import type { Executor, JobNetwork } from "./types.js";
import { foreignPlatformLabel } from "./executors/executor-routing.js";
import type { ToolSourceSettings } from "./tools/index.js";

export interface JobRequest {
  /** The workflow file the job is defined in (a called workflow's own file for its jobs). */
  workflow: SourceFile;
  jobId: string;
  ref: JobRef;
  /** The evaluated `runs-on` labels: a runner must have all of them. */
  runsOn: string[];
  identity: RunIdentity;
  event: TriggeringEvent;
  /** needs, vars, secrets, inputs, matrix and strategy: only what this job may see. */
  contexts: Contexts;
  workflowEnv: Record<string, string>;
  requirePinnedSha: boolean;
  /** Built-ins the job runs as the real actions from the action store instead. */
  realActions?: string[];
  /** Where remote actions missing from the runner's store come from: the configured GitHub, unless offline. */
  actionSource?: ActionSource;
  /** Where actions/checkout fetches from when the runner has no local copy: the repository's git URL or path. */
  checkoutUrl?: string;
  /** The environment the job deploys to, its gate passed; the runner evaluates its url after the steps. */
  environment?: { name: string };
  /** Set by a server: the tag of the secret placeholders in `contexts.secrets` and `workflowEnv` (job-secrets.ts). */
  secretPlaceholderTag?: string;
  /** What the job's GITHUB_TOKEN may do, when a server creates one; absent in requests queued before it was added. */
  permissions?: JobPermissions;
}

/** A job's `permissions:` as plain data; null where none is set (the server's default applies). */
export interface JobPermissions {
  declared: PermissionsDeclaration | null;
  /** The calling jobs' effective permissions, outermost first: a called workflow may lower them, never raise them. */
  callers: (PermissionsDeclaration | null)[];
}

/** What the machine that runs the job provides. */
export interface RunnerHost {
  /** Runs every job that `executorsByLabel` does not send elsewhere. */
  executor: Executor;
  /** `--label-map gpu=host`: keys are lower-case labels; the first of the job's runs-on labels found here wins. */
  executorsByLabel?: ReadonlyMap<string, Executor>;
  /** `--label-map ubuntu-latest=docker://IMAGE`: lower-case labels to images; such a job runs as a container job. */
  imagesByLabel?: ReadonlyMap<string, string>;
  /** The network of trusted jobs on an isolating executor (default "host"); a fork's pull request always gets none. */
  network?: JobNetwork;
  /** Told loudly when a job runs unisolated code it should not trust (a fork's pull request on the host executor). */
  warn?: (message: string) => void;
  dataDir: string;
  baseEnv: Record<string, string>;
  runnerName: string;
  stepDebug: boolean;
  /** The checkout each job's workspace starts as a copy of (local runs). */
  workspace?: string;
  /** Work in `workspace` itself instead of a copy. */
  bindWorkspace?: boolean;
  /** The git repository actions/checkout reads from. */
  sourceRepository?: string;
  /** Artifacts and caches; default: the content store in `dataDir`. */
  content?: ArtifactsAndCaches;
  /** Where setup-node finds versions the tool cache lacks; default: from the runner's environment. */
  toolSources?: ToolSourceSettings;
}

/** Which executor runs each job and what network it gets; chosen per runner (`--executor`, `--label-map`). */
export type RunnerPlacement = Pick<
  RunnerHost,
  "executor" | "executorsByLabel" | "imagesByLabel" | "network" | "warn"
>;

export interface JobControl {
  signal: AbortSignal;
  forceSignal: AbortSignal;
  emit: EmitJobEvent;
}

export async function runJobRequest(
  request: JobRequest,
  host: RunnerHost,
  control: JobControl,
  /** What a server's claim delivered; absent for a local run, whose contexts hold the values themselves. */
  delivered?: DeliveredSecrets,
): Promise<JobInstanceResult> {
  const loaded = await loadWorkflow(request.workflow);
  const job = loaded.workflow?.jobs.find((j) => j.id === request.jobId);
  if (!loaded.workflow || !job) {
    const problems = loaded.diagnostics.map(formatDiagnostic).join("\n");
    return {
      conclusion: "failure",
      outputs: {},
      reason: "executor_error",
      message: `${request.workflow.path}: cannot run job '${request.jobId}'${problems ? `:\n${problems}` : ""}`,
    };
  }
  const { contexts, workflowEnv } = delivered
    ? exposeSecrets(request.secretPlaceholderTag, request.contexts, request.workflowEnv, delivered)
    : request;
  // Each job masks the run's secrets plus what its own steps add with ::add-mask::, as on GitHub; on a server, every
  // delivered secret, passed to this job's workflow or not.
  const masker = new Masker();
  const secrets = contexts["secrets"];
  if (secrets && typeof secrets === "object" && !Array.isArray(secrets)) {
    for (const value of Object.values(secrets)) if (typeof value === "string") masker.add(value);
  }
  for (const value of Object.values({ ...delivered?.repository, ...delivered?.environment }))
    masker.add(value);
  const emit = maskingEmit(control.emit, masker);
  const unserved = unservedLabel(host, request.runsOn);
  if (unserved) {
    // Not run rather than run on the wrong system: steps written for that OS would fail, or pass without testing it.
    const message = `no runner for ${unserved}; --label-map ${unserved}=host runs it here`;
    return { conclusion: "skipped", outputs: {}, message };
  }
  const { executor, network, notices } = placeJob(host, request);
  const imageLabel = request.runsOn.find((name) => host.imagesByLabel?.has(name.toLowerCase()));
  const containerImage = imageLabel && host.imagesByLabel?.get(imageLabel.toLowerCase());
  for (const notice of notices) host.warn?.(notice);
  const result = await runJobInstance({
    workflow: loaded.workflow,
    job,
    ref: request.ref,
    identity: request.identity,
    event: request.event,
    contexts,
    workflowEnv,
    requirePinnedSha: request.requirePinnedSha,
    ...(request.realActions ? { realActions: request.realActions } : {}),
    ...(request.actionSource ? { actionSource: request.actionSource } : {}),
    ...(request.environment ? { environment: request.environment } : {}),
    masker,
    ...host,
    executor,
    network,
    notices,
    sourceRepository: host.sourceRepository ?? request.checkoutUrl,
    ...(containerImage ? { containerImage } : {}),
    ...control,
    emit,
  });
  return result.message === undefined ? result : { ...result, message: masker.mask(result.message) };
}

/** A runs-on label for another operating system than this runner's, unless `--label-map` routes one of the labels. */
function unservedLabel(host: RunnerHost, runsOn: readonly string[]): string | undefined {
  const isRouted = runsOn.some(
    (label) =>
      host.executorsByLabel?.has(label.toLowerCase()) || host.imagesByLabel?.has(label.toLowerCase()),
  );
  return isRouted ? undefined : foreignPlatformLabel(runsOn, process.platform);
}

/** The executor a job's labels route it to, and the network it gets: none for a fork's code wherever it can be cut. */
function placeJob(
  host: RunnerHost,
  request: JobRequest,
): { executor: Executor; network: JobNetwork; notices: string[] } {
  const label = request.runsOn.find((name) => host.executorsByLabel?.has(name.toLowerCase()));
  const executor = (label && host.executorsByLabel?.get(label.toLowerCase())) || host.executor;
  if (!isForkPullRequestRun(request.event.name, request.event.payload)) {
    return { executor, network: host.network ?? "host", notices: [] };
  }
  if (executor.name !== "host") return { executor, network: "none", notices: [] };
  const notice =
    `WARNING: job '${request.ref.key}' runs code from a fork's pull request on the host executor, as the runner's ` +
    `own user with the runner's files and network in reach. Run untrusted jobs with --executor sandbox or microvm.`;
  return { executor, network: "host", notices: [notice] };
}
