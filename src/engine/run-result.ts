// Folds a run's events into the one result object `--json` prints and the server will store.
import type { JobConclusion, StepConclusion, StopReason } from "../runner/index.js";
import type { RunEventName, RunEvents } from "./events.js";

export interface StepSummary {
  id: string;
  name: string;
  outcome: StepConclusion;
  conclusion: StepConclusion;
  durationMs: number;
  message?: string;
}

export interface JobSummary {
  jobId: string;
  key: string;
  name: string;
  matrix?: Record<string, unknown>;
  conclusion: JobConclusion;
  continuedOnError: boolean;
  outputs: Record<string, string>;
  durationMs: number;
  reason?: StopReason;
  message?: string;
  /** The environment the job ran in and its evaluated `environment.url`. */
  environment?: { name: string; url?: string };
  /** Its steps' GITHUB_STEP_SUMMARY Markdown, in step order, as GitHub shows a job's summary. */
  summary?: string;
  steps: StepSummary[];
}

export interface RunResult {
  runId: string;
  workflow: string;
  conclusion: JobConclusion;
  startedAt: string;
  durationMs: number;
  jobs: JobSummary[];
}

type Recorded = "job:finished" | "step:finished" | "job:requeued";

/** `jobOrder` is the workflow's job ids as written: the result lists jobs in that order, then by matrix index. */
export function collectRunResult(runId: string, workflow: string, jobOrder: string[]) {
  const started = Date.now();
  const jobs: JobSummary[] = [];
  const steps = new Map<string, StepSummary[]>();
  const summaries = new Map<string, string[]>();
  const events: RunEventName[] = ["job:finished", "step:finished", "job:requeued"] satisfies Recorded[];
  const order = new Map<string, number>();
  const listener = (payload: RunEvents[Recorded]) => {
    // Only job:requeued has no conclusion: the job's steps start over, the next runner's replacing the lost one's.
    if (!("conclusion" in payload)) {
      steps.delete(payload.job.key);
      summaries.delete(payload.job.key);
      return;
    }
    if ("step" in payload) {
      const list = steps.get(payload.step.job.key) ?? [];
      const { step, outcome, conclusion, durationMs, message, summary } = payload;
      if (summary) summaries.set(step.job.key, [...(summaries.get(step.job.key) ?? []), summary]);
      list.push({
        id: step.id,
        name: step.name,
        outcome,
        conclusion,
        durationMs,
        ...(message ? { message } : {}),
      });
      steps.set(step.job.key, list);
      return;
    }
    const { job, conclusion, outputs, durationMs, reason, message, continuedOnError, environment } = payload;
    // Job ids have no spaces, so a key's first word is its top-level job (the caller, for called jobs).
    order.set(job.key, jobOrder.indexOf(job.key.split(" ")[0]!) * 1000 + job.index);
    jobs.push({
      jobId: job.jobId,
      key: job.key,
      name: job.name,
      ...(job.matrix ? { matrix: job.matrix } : {}),
      conclusion,
      continuedOnError: continuedOnError ?? false,
      outputs,
      durationMs,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      ...(environment ? { environment } : {}),
      ...(summaries.has(job.key) ? { summary: summaries.get(job.key)!.join("\n") } : {}),
      steps: steps.get(job.key) ?? [],
    });
  };
  return {
    events,
    listener,
    finish(conclusion: JobConclusion): RunResult {
      return {
        runId,
        workflow,
        conclusion,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        jobs: jobs.sort((a, b) => order.get(a.key)! - order.get(b.key)! || a.key.localeCompare(b.key)),
      };
    },
  };
}
