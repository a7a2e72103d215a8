// `hangar serve`'s flags for lost runners and lost servers: leases, sweeps and the runner-lost policy, checked here so
// a bad one stops the server starting with the flag's name.
import type { ServerConfig } from "../server/index.js";
import { UsageError } from "./exit-codes.js";

export const resilienceOptions = {
  "runner-lost": { type: "string" },
  "max-job-claims": { type: "string" },
  "runner-lease": { type: "string" },
  "run-lease": { type: "string" },
  "sweep-interval": { type: "string" },
} as const;

export const resilienceUsage = `  --runner-lost P      a job whose runner stopped heartbeating: requeue (default: back to the queue, failing as
                       runner_lost once it used --max-job-claims claims) or fail (runner_lost at once)
  --max-job-claims N   claims a job may use under requeue (default: 3)
  --runner-lease S     seconds a runner's claim lasts without a heartbeat (default: 60; heartbeats every third)
  --run-lease S        seconds this server's hold on each run it orchestrates lasts without renewal; after that
                       another server (or this one restarted) resumes the run (default: 30)
  --sweep-interval S   mean seconds between sweeps for expired runner leases and orphaned runs (default: 5 and 10)
`;

type ResilienceValues = { [K in keyof typeof resilienceOptions]?: string };

export function readResilience(values: ResilienceValues): NonNullable<ServerConfig["resilience"]> {
  const config: NonNullable<ServerConfig["resilience"]> = {};
  const policy = values["runner-lost"];
  if (policy !== undefined) {
    if (policy !== "requeue" && policy !== "fail")
      throw new UsageError(`--runner-lost must be requeue or fail, got '${policy}'`);
    config.runnerLostPolicy = policy;
  }
  if (values["max-job-claims"] !== undefined) {
    const claims = Number(values["max-job-claims"]);
    if (!Number.isInteger(claims) || claims < 1)
      throw new UsageError(
        `--max-job-claims must be a whole number of at least 1, got '${values["max-job-claims"]}'`,
      );
    config.maxJobClaims = claims;
  }
  const runnerLease = readSeconds(values, "runner-lease");
  if (runnerLease !== undefined) config.runnerLeaseMs = runnerLease;
  const runLease = readSeconds(values, "run-lease");
  if (runLease !== undefined) config.runLeaseMs = runLease;
  const sweep = readSeconds(values, "sweep-interval");
  if (sweep !== undefined) {
    config.leaseSweepMs = sweep;
    config.runSweepMs = sweep;
  }
  return config;
}

/** Seconds (fractions allowed, at least 0.1) as milliseconds. */
function readSeconds(values: ResilienceValues, flag: "runner-lease" | "run-lease" | "sweep-interval") {
  const text = values[flag];
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0.1)
    throw new UsageError(`--${flag} must be a number of seconds of at least 0.1, got '${text}'`);
  return Math.round(seconds * 1000);
}
