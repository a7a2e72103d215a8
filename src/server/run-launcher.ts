// Starts the engine for each recorded run, keeps the run's row in step with it and lets observers follow it.
import type { ReportCommitStatus } from "../integrations/github/index.js";
import { ConcurrencyGroups, runWorkflow, type RunHandle } from "../engine/index.js";
import { transitionRun, type Repository, type Run, type Store } from "../store/index.js";
import type { StartRun } from "./intake.js";
import type { DispatchJob } from "./queue-dispatch.js";

/** Something that follows a started run through its handle's events (GitHub reporting, wait reasons, …). */
export type RunObserver = (started: { run: Run; repository: Repository; handle: RunHandle }) => void;

export interface LauncherOptions {
  store: Store;
  dataDir: string;
  /** Where users see runs; commit statuses link here. */
  publicUrl: string;
  /** Commit statuses back to GitHub; absent when no token is configured. */
  reportStatus?: ReportCommitStatus;
  /** Hands jobs to runners: the server never runs a job in its own process except through its embedded runner. */
  dispatchJob: DispatchJob;
  observers?: RunObserver[];
  log: (message: string, details?: Record<string, unknown>) => void;
}

export interface RunLauncher {
  startRun: StartRun;
  cancel(runId: number): boolean;
  /** Resolves when every started run has finished and been recorded. */
  idle(): Promise<void>;
}

export function createRunLauncher(options: LauncherOptions): RunLauncher {
  const active = new Map<number, { handle: RunHandle; done: Promise<void> }>();
  // One set of groups for every run this server starts, so `concurrency:` holds across runs.
  const concurrencyGroups = new ConcurrencyGroups();

  const startRun: StartRun = (run, repository, triggered, reuseJobs) => {
    const [owner = "", name = ""] = repository.name.split("/");
    const handle = runWorkflow(triggered.workflow, {
      dataDir: options.dataDir,
      checkoutUrl: repository.gitUrl,
      identity: {
        runId: String(run.id),
        runNumber: run.runNumber,
        attempt: run.attempt,
        actor: run.actor,
        sha: run.sha,
        ref: run.ref,
        repository: { owner, name },
        serverUrl: "https://github.com",
      },
      event: { name: run.event, payload: run.payload as Record<string, never> },
      inputs: triggered.inputs,
      baseEnv: { PATH: process.env["PATH"] ?? "" },
      dispatchJob: options.dispatchJob,
      concurrencyGroups,
      reuseJobs,
    });
    for (const observe of options.observers ?? []) observe({ run, repository, handle });
    const status = (state: "pending" | "success" | "failure" | "error", job: string, description: string) =>
      reportStatus(options, repository, run, { state, job, description });
    handle.on("run:started", () => {
      void transitionRun(options.store, run.id, { to: "in_progress" }).catch((error: unknown) =>
        options.log("run transition failed", { runId: run.id, error: String(error) }),
      );
    });
    handle.on("job:started", ({ job }) => status("pending", job.key, "running"));
    handle.on("job:finished", ({ job, conclusion }) => {
      if (conclusion === "skipped") return;
      status(conclusion === "success" ? "success" : "failure", job.key, conclusion);
    });
    const done = handle.result
      .then((result) =>
        transitionRun(options.store, run.id, { to: "completed", conclusion: result.conclusion }),
      )
      .then(() => undefined)
      .catch((error: unknown) => options.log("run failed to finish", { runId: run.id, error: String(error) }))
      .finally(() => active.delete(run.id));
    active.set(run.id, { handle, done });
  };

  return {
    startRun,
    cancel(runId) {
      const entry = active.get(runId);
      entry?.handle.cancel();
      return entry !== undefined;
    },
    async idle() {
      while (active.size > 0) await Promise.all([...active.values()].map((entry) => entry.done));
    },
  };
}

function reportStatus(
  options: LauncherOptions,
  repository: Repository,
  run: Run,
  status: { state: "pending" | "success" | "failure" | "error"; job: string; description: string },
): void {
  if (!options.reportStatus) return;
  const [owner = "", repo = ""] = repository.name.split("/");
  options
    .reportStatus({
      owner,
      repo,
      sha: run.sha,
      state: status.state,
      workflow: run.workflowName,
      job: status.job,
      description: status.description,
      targetUrl: `${options.publicUrl}/api/runs/${run.id}`,
    })
    .catch((error: unknown) => options.log("commit status failed", { runId: run.id, error: String(error) }));
}
