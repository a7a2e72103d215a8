// Follows started runs and reports them to GitHub: a commit status or check run per job, a pull request comment per
// run. Never changes a run: a report GitHub refuses is logged and the run goes on.
import type { RunEvents, RunResult } from "../engine/index.js";
import {
  commitStatusContext,
  createCheckRunReporter,
  createCommentUpserter,
  createCommitStatusReporter,
  type CheckConclusion,
  type CommitState,
  type GitHubClient,
} from "../integrations/github/index.js";
import type { JobConclusion, JobRef } from "../runner/index.js";
import type { Run } from "../store/index.js";
import type { RunObserver } from "./run-launcher.js";

/** Commit statuses work with any token; check runs need a GitHub App (GitHub refuses them to other tokens). */
export type GitHubReportMode = "statuses" | "checks";

export interface GitHubReporterOptions {
  client: GitHubClient;
  mode: GitHubReportMode;
  /** A comment on the pull request summarising each pull_request or pull_request_target run. */
  prComment: boolean;
  /** Where users see runs; statuses, check runs and comments link there. */
  publicUrl: () => string;
  log: (message: string, details?: Record<string, unknown>) => void;
}

export interface GitHubReporter {
  observe: RunObserver;
  /** Resolves when every report started so far has been answered, or has failed and been logged. */
  idle(): Promise<void>;
}

/** What one run's reports go to: everything a per-job reporter needs to know about the run. */
interface RunTarget {
  owner: string;
  repo: string;
  run: Run;
  detailsUrl: string;
}

type JobFinished = RunEvents["job:finished"];

interface JobReports {
  started(job: JobRef): Promise<unknown>;
  finished(event: JobFinished): Promise<unknown>;
}

// A skipped job gets no status: GitHub would show it as pending forever, and a required check must not pass by it.
const statusStates: Record<JobConclusion, CommitState | undefined> = {
  success: "success",
  failure: "failure",
  cancelled: "failure",
  skipped: undefined,
};

const checkConclusions: Record<JobConclusion, CheckConclusion> = {
  success: "success",
  failure: "failure",
  cancelled: "cancelled",
  skipped: "skipped",
};

const conclusionIcons: Record<JobConclusion, string> = {
  success: "✅",
  failure: "❌",
  cancelled: "⛔",
  skipped: "⏭️",
};

/** Docs "Events that trigger workflows": the events whose runs belong to a pull request. */
const pullRequestEvents = new Set(["pull_request", "pull_request_target"]);

export function createGitHubReporter(options: GitHubReporterOptions): GitHubReporter {
  const reportStatus = createCommitStatusReporter(options.client);
  const checkRuns = createCheckRunReporter(options.client);
  const upsertComment = createCommentUpserter(options.client);
  const pending = new Set<Promise<void>>();

  const track = (work: Promise<unknown>, details: Record<string, unknown>): Promise<void> => {
    const settled = work.then(
      () => undefined,
      (error: unknown) => options.log("reporting to GitHub failed", { ...details, error: String(error) }),
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return settled;
  };

  const statusReports = (target: RunTarget): JobReports => {
    const report = (job: JobRef, state: CommitState, description: string) =>
      reportStatus({
        owner: target.owner,
        repo: target.repo,
        sha: target.run.sha,
        state,
        workflow: target.run.workflowName,
        job: job.key,
        description,
        targetUrl: target.detailsUrl,
      });
    return {
      started: (job) => report(job, "pending", "running"),
      async finished(event) {
        const state = statusStates[event.conclusion];
        if (state !== undefined) await report(event.job, state, describeJob(event));
      },
    };
  };

  const checkRunReports = (target: RunTarget): JobReports => {
    const ids = new Map<string, number>();
    const base = (job: JobRef) => ({
      owner: target.owner,
      repo: target.repo,
      sha: target.run.sha,
      name: commitStatusContext(target.run.workflowName, job.key),
      detailsUrl: target.detailsUrl,
      externalId: `${target.run.id}/${target.run.attempt}/${job.key}`,
    });
    return {
      async started(job) {
        const { id } = await checkRuns.create({ ...base(job), startedAt: new Date() });
        ids.set(job.key, id);
      },
      async finished(event) {
        const completion = {
          conclusion: event.reason === "timed_out" ? "timed_out" : checkConclusions[event.conclusion],
          completedAt: new Date(),
          title: describeJob(event),
          summary: event.message ?? `${event.job.key}: ${event.conclusion}`,
        } as const;
        const id = ids.get(event.job.key);
        if (id !== undefined)
          return checkRuns.complete({ owner: target.owner, repo: target.repo, id }, completion);
        // Never started (skipped, reused from the previous attempt) or its creation failed: one completed check run.
        const startedAt = new Date(completion.completedAt.getTime() - event.durationMs);
        return checkRuns.create({ ...base(event.job), startedAt, completion });
      },
    };
  };

  const commentOnPullRequest = (target: RunTarget, result: RunResult) => {
    const issueNumber = pullRequestNumber(target.run);
    if (!options.prComment || issueNumber === undefined) return;
    void track(
      upsertComment({
        owner: target.owner,
        repo: target.repo,
        issueNumber,
        marker: `hangar run ${target.run.id}`,
        body: formatRunComment(target, result),
      }),
      { runId: target.run.id, report: "pull request comment" },
    );
  };

  return {
    observe({ run, repository, handle }) {
      const [owner = "", repo = ""] = repository.name.split("/");
      const target: RunTarget = { owner, repo, run, detailsUrl: `${options.publicUrl()}/api/runs/${run.id}` };
      const reports = options.mode === "checks" ? checkRunReports(target) : statusReports(target);
      // Each job's reports leave in order, so GitHub never gets "in progress" after "completed".
      const queues = new Map<string, Promise<void>>();
      const enqueue = (job: JobRef, report: () => Promise<unknown>) => {
        const previous = queues.get(job.key) ?? Promise.resolve();
        queues.set(job.key, track(previous.then(report), { runId: run.id, job: job.key }));
      };
      handle.on("job:started", ({ job }) => enqueue(job, () => reports.started(job)));
      handle.on("job:finished", (event) => enqueue(event.job, () => reports.finished(event)));
      handle.result.then(
        (result) => commentOnPullRequest(target, result),
        () => undefined,
      );
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

function pullRequestNumber(run: Run): number | undefined {
  if (!pullRequestEvents.has(run.event)) return undefined;
  const payload = run.payload as { number?: unknown; pull_request?: { number?: unknown } } | null;
  const number = payload?.pull_request?.number ?? payload?.number;
  return typeof number === "number" && Number.isInteger(number) && number > 0 ? number : undefined;
}

function describeJob(event: JobFinished): string {
  if (event.conclusion === "skipped") return "skipped";
  return `${event.conclusion} in ${formatSeconds(event.durationMs)}`;
}

/** The comment: the run's conclusion, then one row per job (GitHub renders the Markdown table). */
function formatRunComment(target: RunTarget, result: RunResult): string {
  const { run } = target;
  const rows = result.jobs.map((job) => {
    const duration = job.conclusion === "skipped" ? "-" : formatSeconds(job.durationMs);
    return `| ${escapeCell(job.key)} | ${conclusionIcons[job.conclusion]} ${job.conclusion} | ${duration} |`;
  });
  return [
    `### hangar: ${run.workflowName} ${conclusionIcons[result.conclusion]} ${result.conclusion}`,
    "",
    `[Run ${run.id}](${target.detailsUrl}), attempt ${run.attempt}, at \`${run.sha.slice(0, 7)}\` ` +
      `(${run.event}), took ${formatSeconds(result.durationMs)}.`,
    "",
    "| Job | Conclusion | Duration |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}
