// How the server notices lost runners and lost servers: leases, sweep intervals and the runner-lost policy, with
// their defaults and units in one table. Shorter leases notice sooner and cost more renewals.
import type { RunnerLostPolicy } from "./lease-sweeper.js";

export interface ResilienceConfig {
  /** `requeue`: a lost runner's job goes back to the queue until it used maxJobClaims; `fail`: runner_lost at once. */
  runnerLostPolicy: RunnerLostPolicy;
  /** Claims a job may use up under `requeue` before it fails as runner_lost. */
  maxJobClaims: number;
  /** The lease a runner's claim grants, renewed by its heartbeat every third of it (ms). */
  runnerLeaseMs: number;
  /** Mean time between sweeps of expired runner leases (ms, jittered ±50%). */
  leaseSweepMs: number;
  /** The lease a server holds on each run it orchestrates, renewed every third of it (ms). */
  runLeaseMs: number;
  /** Mean time between sweeps for runs whose server's lease lapsed (ms, jittered ±50%). */
  runSweepMs: number;
}

export const defaultResilience: ResilienceConfig = {
  runnerLostPolicy: "requeue",
  maxJobClaims: 3,
  runnerLeaseMs: 60_000,
  leaseSweepMs: 5_000,
  runLeaseMs: 30_000,
  runSweepMs: 10_000,
};

/** The defaults with `overrides` applied; throws naming the field when a value is out of range. */
export function resolveResilience(overrides: Partial<ResilienceConfig> = {}): ResilienceConfig {
  const config = { ...defaultResilience, ...overrides };
  if (config.runnerLostPolicy !== "requeue" && config.runnerLostPolicy !== "fail") {
    throw new Error(`runnerLostPolicy must be requeue or fail, got ${String(config.runnerLostPolicy)}`);
  }
  if (!Number.isInteger(config.maxJobClaims) || config.maxJobClaims < 1) {
    throw new Error(`maxJobClaims must be a whole number of at least 1, got ${config.maxJobClaims}`);
  }
  for (const field of ["runnerLeaseMs", "leaseSweepMs", "runLeaseMs", "runSweepMs"] as const) {
    if (!Number.isFinite(config[field]) || config[field] < 100) {
      throw new Error(`${field} must be at least 100 ms, got ${config[field]}`);
    }
  }
  return config;
}
