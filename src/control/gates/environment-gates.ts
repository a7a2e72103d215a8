// The server's gates for jobs that name an environment: branch policy first (a refusal fails the job at once), then
// required reviewers and the wait timer, re-judged from the store whenever a decision is recorded here, another
// server announces one, or the poll comes round. The store is the truth, so a restarted or adopting server re-runs
// the gate and a job already approved passes at once. After the job, its deployment is recorded.
import { EventEmitter } from "node:events";
import type { GateJob } from "../../engine/index.js";
import { APPROVAL_WAITS, type ApprovalWait } from "../../contracts/index.js";
import {
  getEnvironment,
  getGateProgress,
  getProtectedBranches,
  listReviewerGroups,
  recordDeployment,
  recordGateEvent,
  recordJobWait,
  saveEnvironment,
  type Repository,
  type Run,
  type Store,
} from "../../store/index.js";
import { judgeGate } from "./approval-rules.js";
import { refuseRef } from "./branch-policy.js";

export interface EnvironmentGatesOptions {
  store: Store;
  /** The safety-net re-read of waiting gates (default 5 s), for decisions whose wake-up was lost. */
  pollMs?: number;
  /** How long a job may wait for approval before it fails; GitHub's is 30 days. */
  timeoutMs?: number;
  /** Tells the other servers that a decision was recorded for the run (PostgreSQL replicas). */
  announce?: (runId: number) => void;
  log: (message: string, details?: Record<string, unknown>) => void;
}

export interface EnvironmentGates {
  /** The engine's gateJob for one run. */
  forRun(run: Run, repository: Repository): GateJob;
  /** Re-judges the run's waiting gates in this process (after a decision recorded here or elsewhere). */
  wake(runId: number): void;
  /**
   * Stops every waiting gate with GateStoppedError (the server is closing): their runs stay open in the store, so
   * the server that adopts them runs the gates again.
   */
  stop(): void;
}

export class GateStoppedError extends Error {
  constructor() {
    super("the server stopped while the job waited at its environment's gate");
  }
}

const thirtyDaysMs = 30 * 86_400_000;

export function createEnvironmentGates(options: EnvironmentGatesOptions): EnvironmentGates {
  const { store } = options;
  const pollMs = options.pollMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? thirtyDaysMs;
  const wakes = new EventEmitter();
  wakes.setMaxListeners(0);
  const stopping = new AbortController();

  const forRun =
    (run: Run, repository: Repository): GateJob =>
    async ({ job, environment: wanted }, { signal, onWaiting }) => {
      const target = { runId: run.id, attempt: run.attempt, jobKey: job.key };
      const gateEvent = { ...target, environment: wanted.name };
      // A job naming an environment that does not exist creates it with no rules, as on GitHub.
      let environment = await saveEnvironment(store, {
        repositoryId: repository.id,
        name: wanted.name,
        rules: {},
        actor: "hangar",
        mode: "ensure",
      });
      const refusal = refuseRef(environment, run.ref, {
        defaultBranch: repository.defaultBranch,
        protectedBranches: await getProtectedBranches(store, repository.id),
      });
      if (refusal) {
        await recordGateEvent(store, {
          action: "deployment:refused",
          ...gateEvent,
          actor: "hangar",
          status: "refused",
          details: { reason: refusal },
        });
        return { allowed: false, reason: refusal };
      }
      const afterJob = async ({ conclusion, url }: { conclusion: string; url?: string }) => {
        await recordDeployment(store, {
          repositoryId: repository.id,
          environment: environment.name,
          ref: run.ref,
          sha: run.sha,
          runId: run.id,
          attempt: run.attempt,
          jobKey: job.key,
          status: conclusion === "success" ? "success" : conclusion === "cancelled" ? "cancelled" : "failure",
          ...(url ? { url } : {}),
          actor: "hangar",
        }).catch((error: unknown) =>
          options.log("cannot record a deployment", { runId: run.id, job: job.key, error: String(error) }),
        );
      };
      if (environment.reviewers.length === 0 && environment.waitTimer === 0)
        return { allowed: true, afterJob };

      let waitingFor: ApprovalWait[] = [];
      const recordWait = (what: ApprovalWait[]) =>
        recordJobWait(store, {
          runId: run.id,
          attempt: run.attempt,
          key: job.key,
          jobId: job.jobId,
          name: job.name,
          reason: "approval",
          detail: { environment: environment.name, waitingFor: what },
        });
      // The wait's start is when the job reached the gate: the wait timer counts from it.
      await recordWait(
        APPROVAL_WAITS.filter((rule) =>
          rule === "reviewers" ? environment.reviewers.length > 0 : environment.waitTimer > 0,
        ),
      );
      let isRequested = false;
      for (;;) {
        // Armed before reading, so a decision recorded during the reads is not slept through.
        const wake = armWake(run.id, signal);
        const [progress, groups] = await Promise.all([
          getGateProgress(store, target),
          listReviewerGroups(store),
        ]);
        const judgement = judgeGate(environment, groups, progress, { runActor: run.actor, timeoutMs });
        if (judgement.state !== "waiting") wake.disarm();
        if (judgement.state === "passed") return { allowed: true, afterJob };
        if (judgement.state === "refused") {
          await recordGateEvent(store, {
            action: "deployment:refused",
            ...gateEvent,
            actor: "hangar",
            status: "refused",
            details: { reason: judgement.reason },
          });
          return { allowed: false, reason: judgement.reason };
        }
        if (judgement.waitingFor.join() !== waitingFor.join()) {
          waitingFor = judgement.waitingFor;
          await recordWait(waitingFor);
          onWaiting(waitingFor);
        }
        if (!isRequested) {
          isRequested = true;
          await recordGateEvent(store, {
            action: "approval:requested",
            ...gateEvent,
            actor: "hangar",
            status: "waiting",
            details: {
              waitingFor,
              reviewers: environment.reviewers.map((r) => (r.type === "group" ? `group:${r.name}` : r.name)),
              requiredApprovals: environment.requiredApprovals,
              waitTimer: environment.waitTimer,
            },
          });
        }
        await wake.sleep(Math.min(pollMs, judgement.wakeInMs ?? pollMs));
        if (stopping.signal.aborted) throw new GateStoppedError();
        if (signal.aborted) return { allowed: false, reason: "the run was cancelled while the job waited" };
        // Rules may change while a job waits (an admin adds a reviewer): judge with the current ones.
        environment = (await getEnvironment(store, repository.id, environment.name)) ?? environment;
      }
    };

  /** Listens for the run's wake-ups from now on; `sleep` returns at once if one came meanwhile. */
  const armWake = (runId: number, signal: AbortSignal) => {
    const key = String(runId);
    let isWoken = false;
    let resolveSleep: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const onWake = () => {
      isWoken = true;
      resolveSleep?.();
    };
    const disarm = () => {
      clearTimeout(timer);
      wakes.off(key, onWake);
      signal.removeEventListener("abort", onWake);
      stopping.signal.removeEventListener("abort", onWake);
    };
    wakes.on(key, onWake);
    signal.addEventListener("abort", onWake, { once: true });
    stopping.signal.addEventListener("abort", onWake, { once: true });
    return {
      disarm,
      sleep: async (ms: number) => {
        if (!isWoken && !signal.aborted && !stopping.signal.aborted) {
          await new Promise<void>((resolve) => {
            resolveSleep = resolve;
            timer = setTimeout(resolve, Math.max(ms, 1));
          });
        }
        disarm();
      },
    };
  };

  return {
    forRun,
    wake: (runId) => wakes.emit(String(runId)),
    stop: () => stopping.abort(),
  };
}
