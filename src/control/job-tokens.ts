// Jobs' GITHUB_TOKENs on the server: an installation token created when a runner claims a job, revoked once that
// claim is over (completed, cancelled, or its runner lost and the job failed or requeued). Owns no REST call.
//
// Tokens are held in this process's memory only, never in the store, sealed or not: a database copy would be one more
// place a live credential sits. The wake-ups that end a claim reach every server on the database (JobActivity), so
// the server that created a token revokes it wherever the job ends; if that server dies first, GitHub's one-hour
// expiry of installation tokens bounds how long the token outlives its job.
import type { JobTokenDefault, JobTokenIssuer } from "../integrations/github/index.js";
import { isForkPullRequestRun, type JobRequest } from "../runner/index.js";
import { getJob, type QueuedJob, type Store } from "../store/index.js";
import type { JobActivity } from "./job-activity.js";

export interface JobTokensOptions {
  store: Store;
  activity: JobActivity;
  issuer: JobTokenIssuer;
  /** What a job without `permissions:` gets (`--job-token-permissions`). */
  defaults: JobTokenDefault;
  log: (message: string, details?: Record<string, unknown>) => void;
  /** Safety net for lost wake-ups, and the retry of a revocation GitHub failed (default 30 s). */
  safetyPollMs?: number;
}

export interface JobTokens {
  /** A new token for the job a runner just claimed; fails with a message fit for the job's record. */
  issue(job: QueuedJob): Promise<string>;
  /** Stops following jobs. Tokens still held are left to expire: their jobs may outlive this server. */
  stop(): Promise<void>;
}

interface HeldToken {
  token: string;
  /** The claim the token belongs to: a requeued job's next claim gets a token of its own. */
  claimCount: number;
  expiresAt: number;
  unsubscribe: () => void;
}

interface CheckState {
  done: Promise<void>;
  isRerun: boolean;
}

export function createJobTokens(options: JobTokensOptions): JobTokens {
  const { store, activity, issuer, log } = options;
  const held = new Map<number, HeldToken>();
  const checks = new Map<number, CheckState>();

  const revokeIfOver = async (jobRowId: number) => {
    const entry = held.get(jobRowId);
    if (!entry) return;
    const job = await getJob(store, jobRowId);
    const isOver = !job || job.status !== "in_progress" || job.claimCount !== entry.claimCount;
    if (!isOver) return;
    try {
      await issuer.revoke(entry.token);
    } catch (error) {
      // Kept for the next poll, unless GitHub has let it expire by then.
      if (Date.now() < entry.expiresAt) {
        log("cannot revoke a job's GITHUB_TOKEN; will retry", { jobId: jobRowId, error: String(error) });
        return;
      }
    }
    entry.unsubscribe();
    held.delete(jobRowId);
  };
  // One check per job at a time; wake-ups during a check (log batches come often) make one more after it.
  const check = (jobRowId: number): Promise<void> => {
    const current = checks.get(jobRowId);
    if (current) {
      current.isRerun = true;
      return current.done;
    }
    const state: CheckState = { isRerun: false, done: Promise.resolve() };
    state.done = (async () => {
      do {
        state.isRerun = false;
        await revokeIfOver(jobRowId).catch((error: unknown) =>
          log("cannot check a job's GITHUB_TOKEN", { jobId: jobRowId, error: String(error) }),
        );
      } while (state.isRerun);
      checks.delete(jobRowId);
    })();
    checks.set(jobRowId, state);
    return state.done;
  };
  const poll = setInterval(() => {
    for (const jobRowId of held.keys()) void check(jobRowId);
  }, options.safetyPollMs ?? 30_000);
  poll.unref();

  return {
    async issue(job) {
      const request = job.request as JobRequest;
      const { owner, name } = request.identity.repository;
      let issued;
      try {
        issued = await issuer.issue(owner, name, {
          declared: request.permissions?.declared ?? undefined,
          callers: (request.permissions?.callers ?? []).map((caller) => caller ?? undefined),
          defaults: options.defaults,
          isFork: isForkPullRequestRun(request.event.name, request.event.payload),
        });
      } catch (error) {
        throw new Error(`GITHUB_TOKEN: ${(error as Error).message}`, { cause: error });
      }
      // A requeued job claimed again: its check sees the new claim and revokes the earlier token (if GitHub fails
      // that, the earlier token is left to expire).
      if (held.has(job.id)) {
        await check(job.id);
        held.get(job.id)?.unsubscribe();
      }
      held.set(job.id, {
        token: issued.token,
        claimCount: job.claimCount,
        expiresAt: Date.parse(issued.expiresAt),
        unsubscribe: activity.subscribe(job.id, () => void check(job.id)),
      });
      return issued.token;
    },
    async stop() {
      clearInterval(poll);
      for (const entry of held.values()) entry.unsubscribe();
      await Promise.allSettled([...checks.values()].map((state) => state.done));
      held.clear();
    },
  };
}
