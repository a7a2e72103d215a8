// Starts the engine for each recorded run, keeps the run's row in step with it and lets observers follow it. Each run it
// runs carries this server's instance id with a lease the launcher renews, so another server can resume it if this
// one dies; cancel requests recorded on the run (from any server) reach the engine through the same renewal.
import { runWorkflow, type ConcurrencyControl, type GateJob, type RunHandle } from "../engine/index.js";
import type { TriggeredWorkflow } from "../integrations/github/index.js";
import type { ActionSource } from "../runner/index.js";
import {
  claimRunOrchestration,
  renewRunOrchestration,
  transitionRun,
  type AdoptedRun,
  type Repository,
  type Run,
  type Store,
} from "../store/index.js";
import type { ReadCalledWorkflow } from "./called-workflows.js";
import type { ResumeRun, StartRun } from "./intake.js";
import { recordRun, type RunRecord } from "./run-record.js";
import { prepareRunExposure, type RunExposure } from "./secrets/index.js";
import type { DispatchJob } from "./queue-dispatch.js";

/** Something that follows a started run through its handle's events (GitHub reporting, wait reasons, …). */
export type RunObserver = (started: { run: Run; repository: Repository; handle: RunHandle }) => void;

export interface LauncherOptions {
  store: Store;
  dataDir: string;
  /** Where runners fetch remote actions missing from their stores; absent, they fetch none. */
  actionSource?: ActionSource;
  /** Where users see runs. */
  publicUrl: string;
  /** Jobs get a GITHUB_TOKEN, created when a runner claims each (job-tokens.ts). */
  hasJobToken?: boolean;
  /** Hands jobs to runners: the server never runs a job in its own process except through its embedded runner. */
  dispatchJob: DispatchJob;
  observers?: RunObserver[];
  log: (message: string, details?: Record<string, unknown>) => void;
  /** This server process's id, recorded as the orchestrator of the runs it runs. */
  instanceId: string;
  /** The orchestration lease (default 30 s), renewed every third of it; once it lapses another server resumes the run. */
  orchestrationLeaseMs?: number;
  /**
   * The concurrency groups one run attempt sees: held in the store, per repository, shared by every replica, so a
   * resumed run finds the place it held (store-concurrency.ts).
   */
  concurrencyFor: (run: Run) => ConcurrencyControl;
  /** The protection rules of the run's jobs that name an environment (gates/environment-gates.ts). */
  gateFor?: (run: Run, repository: Repository) => GateJob;
  /** Where the run's called workflows come from (called-workflows.ts); without it a job that calls one fails. */
  calledWorkflowsFor?: (run: Run, repository: Repository) => ReadCalledWorkflow;
}

export interface RunLauncher {
  startRun: StartRun;
  /** Starts the engine again for a run this server adopted, as the same run and attempt. */
  resumeRun: ResumeRun;
  /** Cancels the run's engine if this server orchestrates it; false otherwise. */
  cancel(runId: number): boolean;
  readonly orchestrationLeaseMs: number;
  /** Resolves when every started run has finished and been recorded. */
  idle(): Promise<void>;
  /** Stops renewing leases; runs still going would be resumed elsewhere once theirs lapse. */
  stop(): void;
}

interface ActiveRun {
  handle?: RunHandle;
  isCancelled: boolean;
  done: Promise<void>;
}

export function createRunLauncher(options: LauncherOptions): RunLauncher {
  const { store, instanceId } = options;
  const leaseMs = options.orchestrationLeaseMs ?? 30_000;
  const active = new Map<number, ActiveRun>();

  const cancelOnce = (entry: ActiveRun) => {
    if (entry.isCancelled) return;
    entry.isCancelled = true;
    entry.handle?.cancel();
  };

  const launch = (
    run: Run,
    repository: Repository,
    triggered: TriggeredWorkflow,
    reuseJobs: Record<string, { outputs: Record<string, string> }> | undefined,
    claim: () => Promise<{ isCancelRequested: boolean } | undefined>,
  ) => {
    // A server whose own lease lapsed (a long stall) may adopt a run it still runs: one engine per run is enough.
    if (active.has(run.id)) return;
    const entry: ActiveRun = { isCancelled: false, done: Promise.resolve() };
    entry.done = (async () => {
      const claimed = await claim();
      if (!claimed) {
        options.log("run is orchestrated by another server", { runId: run.id });
        return;
      }
      let record: RunRecord | undefined;
      try {
        const exposure = await prepareRunExposure(store, run, options.hasJobToken ?? false);
        const handle = startEngine(run, repository, triggered, reuseJobs, exposure);
        record = recordRun(store, run, handle, options.log);
        entry.handle = handle;
        if (claimed.isCancelRequested || entry.isCancelled) handle.cancel();
        const result = await handle.result;
        await record.settled();
        const message = record.message;
        if (message) options.log("run failed before its jobs", { runId: run.id, message });
        await transitionRun(store, run.id, {
          to: "completed",
          conclusion: result.conclusion,
          ...(message ? { message } : {}),
        });
      } catch (error) {
        // Our own breakage, not the workflow's: the run still ends, saying why.
        await record?.settled();
        const message = `hangar could not run the workflow: ${(error as Error).message}`;
        options.log("run failed to finish", { runId: run.id, error: String(error) });
        await transitionRun(store, run.id, { to: "completed", conclusion: "failure", message });
      }
    })()
      .catch((error: unknown) => options.log("run failed to finish", { runId: run.id, error: String(error) }))
      .finally(() => active.delete(run.id));
    active.set(run.id, entry);
  };

  const startEngine = (
    run: Run,
    repository: Repository,
    triggered: TriggeredWorkflow,
    reuseJobs: Record<string, { outputs: Record<string, string> }> | undefined,
    exposure: RunExposure,
  ): RunHandle => {
    const [owner = "", name = ""] = repository.name.split("/");
    const handle = runWorkflow(triggered.workflow, {
      dataDir: options.dataDir,
      checkoutUrl: repository.gitUrl,
      ...(options.actionSource ? { actionSource: options.actionSource } : {}),
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
      secrets: exposure.secrets,
      vars: exposure.vars,
      baseEnv: { PATH: process.env["PATH"] ?? "" },
      dispatchJob: async (request, control) => options.dispatchJob(await exposure.prepare(request), control),
      concurrencyGroups: options.concurrencyFor(run),
      ...(options.gateFor ? { gateJob: options.gateFor(run, repository) } : {}),
      ...(options.calledWorkflowsFor
        ? { readCalledWorkflow: options.calledWorkflowsFor(run, repository) }
        : {}),
      reuseJobs,
    });
    for (const observe of options.observers ?? []) observe({ run, repository, handle });
    // A resumed run that had started is in_progress already.
    if (run.status !== "in_progress") {
      handle.on("run:started", () => {
        void transitionRun(store, run.id, { to: "in_progress" }).catch((error: unknown) =>
          options.log("run transition failed", { runId: run.id, error: String(error) }),
        );
      });
    }
    return handle;
  };

  const startRun: StartRun = (run, repository, triggered, reuseJobs) =>
    launch(run, repository, triggered, reuseJobs, () =>
      claimRunOrchestration(store, {
        runId: run.id,
        orchestrator: instanceId,
        leaseMs,
        reusedJobs: reuseJobs,
      }),
    );

  const resumeRun: ResumeRun = (adopted: AdoptedRun, repository, triggered) =>
    launch(adopted.run, repository, triggered, adopted.reusedJobs, async () => ({
      isCancelRequested: adopted.isCancelRequested,
    }));

  let renewal: NodeJS.Timeout | undefined;
  let isStopped = false;
  const renew = async () => {
    if (active.size === 0) return;
    const renewed = await renewRunOrchestration(store, { orchestrator: instanceId, leaseMs });
    for (const { runId, isCancelRequested } of renewed) {
      const entry = active.get(runId);
      if (entry && isCancelRequested) cancelOnce(entry);
    }
  };
  const scheduleRenewal = () => {
    if (isStopped) return;
    renewal = setTimeout(() => {
      renew()
        .catch((error: unknown) =>
          options.log("orchestration lease renewal failed", { error: String(error) }),
        )
        .finally(scheduleRenewal);
    }, leaseMs / 3);
  };
  scheduleRenewal();

  return {
    startRun,
    resumeRun,
    cancel(runId) {
      const entry = active.get(runId);
      if (entry) cancelOnce(entry);
      return entry !== undefined;
    },
    orchestrationLeaseMs: leaseMs,
    async idle() {
      while (active.size > 0) await Promise.all([...active.values()].map((entry) => entry.done));
    },
    stop() {
      isStopped = true;
      clearTimeout(renewal);
    },
  };
}
