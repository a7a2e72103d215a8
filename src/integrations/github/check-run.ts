// Reports a job to GitHub as a check run (REST "Create a check run", "Update a check run"); decides no conclusions.
import type { GitHubClient } from "./github-client.js";
import { callGitHub } from "./github-error.js";
import { truncate } from "./commit-status.js";

/** REST API "Create a check run": the conclusions GitHub accepts. */
export type CheckConclusion =
  "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required";

export interface CheckRunCompletion {
  conclusion: CheckConclusion;
  completedAt: Date;
  /** Shown as the check run's heading; `summary` is Markdown below it. */
  title: string;
  summary: string;
}

export interface NewCheckRun {
  owner: string;
  repo: string;
  sha: string;
  name: string;
  startedAt: Date;
  detailsUrl?: string;
  /** Our own id for the job, so a check run can be traced back to it. */
  externalId?: string;
  /** Given, the check run is created completed (a job that never started, such as a skipped one). */
  completion?: CheckRunCompletion;
}

export interface CheckRunReporter {
  create(checkRun: NewCheckRun): Promise<{ id: number }>;
  complete(
    target: { owner: string; repo: string; id: number },
    completion: CheckRunCompletion,
  ): Promise<void>;
}

// REST API "Create a check run": output.summary and output.text take at most 65535 characters.
const maxSummaryLength = 65535;

export function createCheckRunReporter(client: GitHubClient): CheckRunReporter {
  return {
    create: (checkRun) =>
      callGitHub(
        "GITHUB_CHECK_RUN_FAILED",
        `check run '${checkRun.name}' for ${checkRun.owner}/${checkRun.repo}@${checkRun.sha} was not created`,
        async () => {
          const octokit = await client.forRepository(checkRun.owner, checkRun.repo);
          const response = await octokit.rest.checks.create({
            owner: checkRun.owner,
            repo: checkRun.repo,
            name: checkRun.name,
            head_sha: checkRun.sha,
            details_url: checkRun.detailsUrl,
            external_id: checkRun.externalId,
            started_at: checkRun.startedAt.toISOString(),
            ...(checkRun.completion ? completionFields(checkRun.completion) : { status: "in_progress" }),
          });
          return { id: response.data.id };
        },
      ),
    complete: (target, completion) =>
      callGitHub(
        "GITHUB_CHECK_RUN_FAILED",
        `check run ${target.id} in ${target.owner}/${target.repo} was not completed`,
        async () => {
          const octokit = await client.forRepository(target.owner, target.repo);
          await octokit.rest.checks.update({
            owner: target.owner,
            repo: target.repo,
            check_run_id: target.id,
            ...completionFields(completion),
          });
        },
      ),
  };
}

function completionFields(completion: CheckRunCompletion) {
  return {
    status: "completed" as const,
    conclusion: completion.conclusion,
    completed_at: completion.completedAt.toISOString(),
    output: { title: completion.title, summary: truncate(completion.summary, maxSummaryLength)! },
  };
}
