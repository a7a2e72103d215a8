// A verified webhook delivery becomes runs: mirror the repository, read its workflows at the event's commit, plan, record.
import path from "node:path";
import { refForEvent } from "../workflow/index.js";
import {
  changedFiles,
  ensureMirror,
  fetchCommit,
  fetchRef,
  planEvent,
  readWorkflowFiles,
  zeroSha,
  type TriggeredWorkflow,
} from "../integrations/github/index.js";
import {
  getRepository,
  getRun,
  insertRun,
  listRepositories,
  startRunAttempt,
  type Job,
  type Repository,
  type Run,
  type Store,
} from "../store/index.js";

export interface IntakeResult {
  runs: number[];
  skipped: { file: string; reason: string }[];
  invalid: { file: string; problems: string[] }[];
}

export interface StartRun {
  (
    run: Run,
    repository: Repository,
    triggered: TriggeredWorkflow,
    reuseJobs?: Record<string, { outputs: Record<string, string> }>,
  ): void;
}

export function mirrorDirOf(dataDir: string, repository: Repository): string {
  return path.join(dataDir, "mirrors", String(repository.id));
}

export async function takeEvent(
  deps: { store: Store; dataDir: string; startRun: StartRun },
  event: { name: string; payload: Record<string, unknown> },
): Promise<IntakeResult> {
  const fullName = (event.payload["repository"] as { full_name?: string } | undefined)?.full_name ?? "";
  const repository = await getRepository(deps.store, fullName);
  if (!repository) throw new Error(`repository ${fullName} is not registered`);
  // A deleted branch or tag has no commit to read workflows from.
  if (event.name === "push" && (event.payload["deleted"] === true || event.payload["after"] === zeroSha)) {
    return { runs: [], skipped: [{ file: "*", reason: "the push deleted its ref" }], invalid: [] };
  }
  const mirror = mirrorDirOf(deps.dataDir, repository);
  await ensureMirror(mirror, repository.gitUrl);
  const defaultRef = `refs/heads/${repository.defaultBranch}`;
  const wanted = refForEvent(event.name, event.payload, { sha: "", ref: defaultRef });
  const sha = wanted.sha || (await fetchRef(mirror, wanted.ref));
  await fetchCommit(mirror, sha, wanted.ref);
  const files = await readWorkflowFiles(mirror, sha);
  const before = typeof event.payload["before"] === "string" ? event.payload["before"] : undefined;
  const changed = event.name === "push" && before ? await changedFiles(mirror, before, sha) : undefined;
  const plan = await planEvent({
    event: event.name,
    payload: event.payload,
    files,
    changedFiles: changed,
    fallback: { sha, ref: wanted.ref },
  });

  const runs: number[] = [];
  const actor = (event.payload["sender"] as { login?: string } | undefined)?.login ?? "github";
  for (const triggered of plan.triggered) {
    const { run } = await insertRun(deps.store, {
      repositoryId: repository.id,
      workflowFile: triggered.file,
      workflowName: triggered.workflow.name,
      event: event.name,
      sha: plan.sha,
      ref: plan.ref,
      actor,
      payload: event.payload,
      jobs: [],
    });
    deps.startRun(run, repository, triggered);
    runs.push(run.id);
  }
  return {
    runs,
    skipped: plan.skipped,
    invalid: plan.invalid.map((i) => ({
      file: i.file,
      problems: i.diagnostics.map(
        (d) => `${d.file}:${d.start.line}:${d.start.column}: ${d.code}: ${d.message}`,
      ),
    })),
  };
}

/**
 * Re-runs a completed run as its next attempt, with the workflow as it was at the run's commit; with `failedOnly`,
 * top-level jobs whose every instance succeeded keep their outputs instead of running again.
 */
export async function rerunRun(
  deps: { store: Store; dataDir: string; startRun: StartRun },
  runId: number,
  options: { failedOnly?: boolean; actor?: string } = {},
): Promise<Run> {
  const previous = options.failedOnly ? await getRun(deps.store, runId) : undefined;
  const run = await startRunAttempt(deps.store, runId, options.actor);
  const reuseJobs = previous
    ? succeededJobs(previous.jobs.filter((job) => job.attempt === previous.run.attempt))
    : undefined;
  const repository = (await listRepositories(deps.store)).find((r) => r.id === run.repositoryId);
  if (!repository) throw new Error(`run ${runId} belongs to no registered repository`);
  const mirror = mirrorDirOf(deps.dataDir, repository);
  await ensureMirror(mirror, repository.gitUrl);
  await fetchCommit(mirror, run.sha, run.ref);
  const files = (await readWorkflowFiles(mirror, run.sha)).filter((file) => file.path === run.workflowFile);
  const plan = await planEvent({
    event: run.event,
    payload: run.payload as Record<string, unknown>,
    files,
    fallback: { sha: run.sha, ref: run.ref },
  });
  const triggered = plan.triggered[0];
  if (!triggered) throw new Error(`run ${runId}: ${run.workflowFile} no longer loads at ${run.sha}`);
  deps.startRun(run, repository, triggered, reuseJobs);
  return run;
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
