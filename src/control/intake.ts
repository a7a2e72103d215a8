// Events become runs: mirror the repository, read its workflows at the event's commit, plan, record, start.
import path from "node:path";
import { refForEvent, type SourceFile } from "../workflow/index.js";
import {
  changedFiles,
  ensureMirror,
  fetchCommit,
  fetchCommits,
  fetchRef,
  pullRequestChangedFiles,
  pullRequestRefFor,
  readWorkflowFiles,
  zeroSha,
  type TriggeredWorkflow,
} from "../integrations/github/index.js";
import {
  getRepository,
  getRun,
  getRepositoryById,
  recordIntakeRuns,
  requestRunCancel,
  startRunAttempt,
  transitionRun,
  type AdoptedRun,
  type ClaimedDelivery,
  type DeliveryLease,
  type IntakeFindings,
  type IntakeRuns,
  type Job,
  type NewRunInput,
  type Repository,
  type Run,
  type Store,
} from "../store/index.js";
import type { WorkflowPool } from "./workflow-pool/index.js";

/** Untrusted workflows are planned in the workflow pool, never on the thread that answers HTTP. */
type PlanEvent = WorkflowPool["planEvent"];

/** The runs an event made, and what reading its workflows found besides (kept on its delivery too). */
export interface IntakeResult extends IntakeFindings {
  runs: number[];
}

export interface StartRun {
  (
    run: Run,
    repository: Repository,
    triggered: TriggeredWorkflow,
    reuseJobs?: Record<string, { outputs: Record<string, string> }>,
  ): void;
}

/** Starts the engine again for a run adopted from a server that stopped renewing its lease. */
export type ResumeRun = (adopted: AdoptedRun, repository: Repository, triggered: TriggeredWorkflow) => void;

export function mirrorDirOf(dataDir: string, repository: Repository): string {
  return path.join(dataDir, "mirrors", String(repository.id));
}

/** The server's log, where a run that ends before any job says why, besides the run's own message. */
type Log = (message: string, details?: Record<string, unknown>) => void;

export interface IntakeDeps {
  store: Store;
  dataDir: string;
  startRun: StartRun;
  planEvent: PlanEvent;
  log: Log;
}

/** An event to read workflows for: a webhook delivery's, a scheduled time's, or a dispatch through the API. */
export interface IntakeEvent {
  name: string;
  payload: Record<string, unknown>;
}

/** Events on which GitHub records an invalid workflow file as a failed run ("Invalid workflow file"). */
const eventsRecordingInvalidFiles = new Set(["push", "pull_request", "pull_request_target"]);

/** Takes one event at once, outside the intake queue: a dispatch through the API, whose caller waits for its runs. */
export async function takeEvent(deps: IntakeDeps, event: IntakeEvent): Promise<IntakeResult> {
  const fullName = (event.payload["repository"] as { full_name?: string } | undefined)?.full_name ?? "";
  const repository = await getRepository(deps.store, fullName);
  if (!repository) throw new Error(`repository ${fullName} is not registered`);
  const mirror = await openMirror(deps.dataDir, repository);
  return recordAndStart(deps, repository, await readEventRuns(deps, repository, mirror, event));
}

/**
 * Takes a batch of one repository's queued deliveries: one fetch brings every commit they name, then each is read,
 * recorded with its runs in one transaction and its runs started, in the order GitHub sent them. A delivery that
 * fails is reported to `onFailure` and does not stop the others.
 */
export async function takeDeliveries(
  deps: IntakeDeps,
  repository: Repository,
  deliveries: readonly (ClaimedDelivery & { owner: string })[],
  onFailure: (delivery: ClaimedDelivery, error: unknown) => Promise<void>,
): Promise<{ delivery: ClaimedDelivery; result: IntakeResult }[]> {
  const mirror = await openMirror(deps.dataDir, repository);
  const wanted = deliveries.flatMap(({ event, payload }) => {
    const { sha, ref } = refForEvent(event, payload, { sha: "", ref: "" });
    return sha && sha !== zeroSha
      ? [{ sha, ref: pullRequestRefFor(payload, sha) ?? (ref || undefined) }]
      : [];
  });
  // A failure here is each delivery's to report: its own fetch below says which commit could not be had, and why.
  await mirror.fetchCommits(wanted).catch(() => undefined);
  // Planned side by side (the workflow pool bounds the threads), recorded one by one in the order received.
  const reads = deliveries.map((delivery) =>
    readEventRuns(deps, repository, mirror, { name: delivery.event, payload: delivery.payload }).then(
      (planned) => ({ planned }),
      (error: unknown) => ({ error }),
    ),
  );
  const taken: { delivery: ClaimedDelivery; result: IntakeResult }[] = [];
  for (const [index, delivery] of deliveries.entries()) {
    const read = await reads[index]!;
    try {
      if ("error" in read) throw read.error;
      const lease = { id: delivery.id, deliveryId: delivery.deliveryId, owner: delivery.owner };
      taken.push({ delivery, result: await recordAndStart(deps, repository, read.planned, lease) });
    } catch (error) {
      await onFailure(delivery, error);
    }
  }
  return taken;
}

/**
 * A repository's mirror as one intake batch reads it: made ready once, and each commit fetched and its workflow
 * files read once however many deliveries name it (a burst of pushes often repeats a commit and always a mirror).
 */
interface MirrorReads {
  dir: string;
  /** Every commit at once (fetchCommits); those it brought need no check of their own afterwards. */
  fetchCommits(wanted: readonly { sha: string; ref?: string }[]): Promise<void>;
  fetchCommit(sha: string, ref: string | undefined): Promise<void>;
  workflowFiles(sha: string): Promise<SourceFile[]>;
}

async function openMirror(dataDir: string, repository: Repository): Promise<MirrorReads> {
  const dir = mirrorDirOf(dataDir, repository);
  await ensureMirror(dir, repository.gitUrl);
  const fetched = new Map<string, Promise<void>>();
  const files = new Map<string, Promise<SourceFile[]>>();
  const once = <T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>) => {
    let found = memo.get(key);
    if (!found) memo.set(key, (found = read()));
    return found;
  };
  return {
    dir,
    async fetchCommits(wanted) {
      await fetchCommits(dir, wanted);
      for (const { sha } of wanted) fetched.set(sha, Promise.resolve());
    },
    fetchCommit: (sha, ref) => once(fetched, sha, () => fetchCommit(dir, sha, ref)),
    workflowFiles: (sha) => once(files, sha, () => readWorkflowFiles(dir, sha)),
  };
}

/** What an event's workflows make at its commit: the runs to record, and the workflows the triggered ones run. */
interface PlannedRuns {
  runs: IntakeRuns;
  /** In the order of runs.triggered. */
  triggered: TriggeredWorkflow[];
}

/** Reads the event's workflow files at its commit and plans its runs; records nothing. */
async function readEventRuns(
  deps: { planEvent: PlanEvent },
  repository: Repository,
  mirror: MirrorReads,
  event: IntakeEvent,
): Promise<PlannedRuns> {
  const findings: IntakeFindings = { skipped: [], invalid: [] };
  // A deleted branch or tag has no commit to read workflows from.
  if (event.name === "push" && (event.payload["deleted"] === true || event.payload["after"] === zeroSha)) {
    findings.skipped.push({ file: "*", reason: "the push deleted its ref" });
    return { runs: { triggered: [], invalid: [], findings }, triggered: [] };
  }
  const defaultRef = `refs/heads/${repository.defaultBranch}`;
  const wanted = refForEvent(event.name, event.payload, { sha: "", ref: defaultRef });
  const sha = wanted.sha || (await fetchRef(mirror.dir, wanted.ref));
  // A pull request's commits are on no branch: refs/pull/N/merge or /head hold them, as on GitHub.
  await mirror.fetchCommit(sha, pullRequestRefFor(event.payload, sha) ?? wanted.ref);
  const files = await mirror.workflowFiles(sha);
  const before = typeof event.payload["before"] === "string" ? event.payload["before"] : undefined;
  const changed =
    event.name === "push" && before
      ? await changedFiles(mirror.dir, before, sha)
      : event.name === "pull_request" || event.name === "pull_request_target"
        ? await pullRequestChangedFiles(mirror.dir, event.payload)
        : undefined;
  const plan = await deps.planEvent({
    event: event.name,
    payload: event.payload,
    files,
    changedFiles: changed,
    fallback: { sha, ref: wanted.ref },
  });
  const actor = (event.payload["sender"] as { login?: string } | undefined)?.login ?? "github";
  const runOf = (workflowFile: string, workflowName: string): NewRunInput => ({
    repositoryId: repository.id,
    workflowFile,
    workflowName,
    event: event.name,
    sha: plan.sha,
    ref: plan.ref,
    actor,
    payload: event.payload,
    jobs: [],
  });
  findings.skipped.push(...plan.skipped);
  findings.invalid.push(
    ...plan.invalid.map((i) => ({
      file: i.file,
      problems: i.diagnostics.map(
        (d) => `${d.file}:${d.start.line}:${d.start.column}: ${d.code}: ${d.message}`,
      ),
    })),
  );
  const invalidRuns = eventsRecordingInvalidFiles.has(event.name)
    ? findings.invalid.map(({ file, problems }) => ({
        run: runOf(file, file),
        message: `invalid workflow file ${file}:\n${problems.join("\n")}`,
      }))
    : [];
  return {
    runs: {
      triggered: plan.triggered.map((t) => runOf(t.file, t.workflow.name)),
      invalid: invalidRuns,
      findings,
    },
    triggered: plan.triggered,
  };
}

/** Records the planned runs (with the delivery they come from, in one transaction), then starts the triggered ones. */
async function recordAndStart(
  deps: IntakeDeps,
  repository: Repository,
  planned: PlannedRuns,
  delivery?: DeliveryLease,
): Promise<IntakeResult> {
  const recorded = await recordIntakeRuns(deps.store, planned.runs, delivery);
  for (const [index, run] of recorded.triggered.entries()) {
    deps.startRun(run, repository, planned.triggered[index]!);
  }
  for (const run of recorded.invalid) {
    deps.log("invalid workflow", { runId: run.id, file: run.workflowFile, message: run.message });
  }
  return {
    runs: [...recorded.triggered, ...recorded.invalid].map((run) => run.id),
    ...planned.runs.findings,
  };
}

/**
 * Re-runs a completed run as its next attempt, with the workflow as it was at the run's commit; with `failedOnly`,
 * top-level jobs whose every instance succeeded keep their outputs instead of running again.
 */
export async function rerunRun(
  deps: IntakeDeps,
  runId: number,
  options: { failedOnly?: boolean; actor?: string } = {},
): Promise<Run> {
  const previous = options.failedOnly ? await getRun(deps.store, runId) : undefined;
  const run = await startRunAttempt(deps.store, runId, options.actor);
  const reuseJobs = previous
    ? succeededJobs(previous.jobs.filter((job) => job.attempt === previous.run.attempt))
    : undefined;
  let planned: { repository: Repository; triggered: TriggeredWorkflow };
  try {
    planned = await planStoredRun(deps, run);
  } catch (error) {
    const message = `the run could not be re-run: ${(error as Error).message}`;
    deps.log("run failed before its jobs", { runId: run.id, message });
    return transitionRun(deps.store, run.id, {
      to: "completed",
      conclusion: "failure",
      actor: "hangar",
      message,
    });
  }
  deps.startRun(run, planned.repository, planned.triggered, reuseJobs);
  return run;
}

/**
 * Resumes a run this server adopted, with its workflow as it was at the run's commit: the same run and attempt, so
 * the queue dispatch follows the jobs it already queued and re-derives the rest. A run that can no longer be planned
 * (its repository or workflow file is gone) ends as a failure, its queued jobs cancelled.
 */
export async function resumeAdoptedRun(
  deps: { store: Store; dataDir: string; resumeRun: ResumeRun; planEvent: PlanEvent; log: Log },
  adopted: AdoptedRun,
): Promise<void> {
  let planned: { repository: Repository; triggered: TriggeredWorkflow };
  try {
    planned = await planStoredRun(deps, adopted.run);
  } catch (error) {
    const message = `the run could not be resumed: ${(error as Error).message}`;
    deps.log("run failed before its jobs", { runId: adopted.run.id, message });
    await requestRunCancel(deps.store, adopted.run.id, { actor: "hangar" });
    await transitionRun(deps.store, adopted.run.id, {
      to: "completed",
      conclusion: "failure",
      actor: "hangar",
      message,
    });
    return;
  }
  deps.resumeRun(adopted, planned.repository, planned.triggered);
}

/** Reads a stored run's workflow at the run's commit from the mirror and plans it again for the run's event. */
async function planStoredRun(
  deps: { store: Store; dataDir: string; planEvent: PlanEvent },
  run: Run,
): Promise<{ repository: Repository; triggered: TriggeredWorkflow }> {
  const repository = await getRepositoryById(deps.store, run.repositoryId);
  if (!repository) throw new Error(`run ${run.id} belongs to no registered repository`);
  const mirror = mirrorDirOf(deps.dataDir, repository);
  await ensureMirror(mirror, repository.gitUrl);
  await fetchCommit(mirror, run.sha, run.ref);
  const files = (await readWorkflowFiles(mirror, run.sha)).filter((file) => file.path === run.workflowFile);
  const plan = await deps.planEvent({
    event: run.event,
    payload: run.payload as Record<string, unknown>,
    files,
    fallback: { sha: run.sha, ref: run.ref },
  });
  const triggered = plan.triggered[0];
  if (!triggered) throw new Error(`run ${run.id}: ${run.workflowFile} no longer loads at ${run.sha}`);
  return { repository, triggered };
}

function succeededJobs(jobs: Job[]): Record<string, { outputs: Record<string, string> }> {
  const byId = new Map<string, Job[]>();
  // Top-level jobs only: a called workflow's jobs (`caller / job`) are re-run with their caller.
  for (const job of jobs.filter((j) => !j.key.includes(" / ")))
    byId.set(job.jobId, [...(byId.get(job.jobId) ?? []), job]);
  const reuse: Record<string, { outputs: Record<string, string> }> = {};
  for (const [jobId, instances] of byId) {
    if (instances.every((job) => job.conclusion === "success")) {
      reuse[jobId] = { outputs: Object.assign({}, ...instances.map((job) => job.outputs ?? {})) };
    }
  }
  return reuse;
}
