// Prometheus metrics with prom-client. Gauges are read from the store at each scrape, so every replica on one database
// answers the same; histograms hold what this process saw (the jobs its runners finished, the webhooks it answered,
// the deliveries it took), which Prometheus sums over replicas.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  DELIVERY_STATUSES,
  JOB_STATUSES,
  JOB_WAIT_REASONS,
  RUN_STATUSES,
  type Conclusion,
} from "../contracts/index.js";
import { listRunners, readQueueGauges, type Job, type Store } from "../store/index.js";

export interface ServerMetrics {
  readonly registry: Registry;
  /** Reads the store's gauges, then renders every metric in Prometheus' text format. */
  render(): Promise<string>;
  /** A runner reported the job's result: its time queued and its time running. */
  observeJobFinished(job: Job): void;
  /** A delivery's runs are recorded: the time since the webhook was received. */
  observeDeliveryTaken(event: string, receivedAt: string): void;
  /** POST /webhooks/github answered. */
  observeWebhookAnswered(statusCode: number, seconds: number): void;
}

// Jobs wait seconds to hours for a runner and run seconds to hours: Prometheus' own defaults stop at 10 s.
const jobSecondsBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
// GitHub gives a receiver 10 s; answers are expected in milliseconds.
const webhookSecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createServerMetrics(store: Store): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hangar_" });
  const registers = [registry];
  const jobs = new Gauge({
    name: "hangar_jobs",
    help: "Open jobs by status (queued: waiting for a runner; waiting: held back by needs, a group or a gate)",
    labelNames: ["status"],
    registers,
  });
  const jobWaits = new Gauge({
    name: "hangar_jobs_waiting",
    help: "Jobs held back by reason (approval: a reviewer or wait timer)",
    labelNames: ["reason"],
    registers,
  });
  const oldestQueued = new Gauge({
    name: "hangar_oldest_queued_job_age_seconds",
    help: "How long the oldest queued job has waited for a runner (0 when none is queued)",
    registers,
  });
  const completed = new Counter({
    name: "hangar_jobs_completed_total",
    help: "Completed jobs by conclusion, from the store",
    labelNames: ["conclusion"],
    registers,
  });
  const runs = new Gauge({
    name: "hangar_runs",
    help: "Open runs by status",
    labelNames: ["status"],
    registers,
  });
  const deliveries = new Gauge({
    name: "hangar_deliveries",
    help: "Webhook deliveries by intake status (queued and in_progress are the intake queue's depth)",
    labelNames: ["status"],
    registers,
  });
  const runners = new Gauge({
    name: "hangar_runners",
    help: "Registered runners by state (online: a claim or heartbeat in the last 90 s)",
    labelNames: ["state"],
    registers,
  });
  const queueSeconds = new Histogram({
    name: "hangar_job_queue_seconds",
    help: "Time from a job's queueing to a runner's claim, for jobs this server's runners finished",
    buckets: jobSecondsBuckets,
    registers,
  });
  const runSeconds = new Histogram({
    name: "hangar_job_duration_seconds",
    help: "Time from a runner's claim to the job's result, by conclusion",
    labelNames: ["conclusion"],
    buckets: jobSecondsBuckets,
    registers,
  });
  const intakeSeconds = new Histogram({
    name: "hangar_webhook_to_runs_seconds",
    help: "Time from a webhook's receipt to its runs being recorded and started, by event",
    labelNames: ["event"],
    buckets: webhookSecondsBuckets,
    registers,
  });
  const answerSeconds = new Histogram({
    name: "hangar_webhook_answer_seconds",
    help: "Time to answer POST /webhooks/github, by status code",
    labelNames: ["code"],
    buckets: webhookSecondsBuckets,
    registers,
  });

  const readStore = async () => {
    const [gauges, listed] = await Promise.all([
      readQueueGauges(store),
      listRunners(store, { limit: Infinity }),
    ]);
    // Every word of a list is set, 0 when it has no rows, so a series that empties reads 0 instead of vanishing.
    const setAll = (gauge: Gauge<string>, label: string, words: readonly string[], counts: Counts) => {
      for (const word of words) gauge.set({ [label]: word }, counts[word] ?? 0);
    };
    setAll(jobs, "status", openStatuses(JOB_STATUSES), gauges.jobs);
    setAll(jobWaits, "reason", JOB_WAIT_REASONS, gauges.jobWaits);
    setAll(runs, "status", openStatuses(RUN_STATUSES), gauges.runs);
    setAll(deliveries, "status", DELIVERY_STATUSES, gauges.deliveries);
    oldestQueued.set(gauges.oldestQueuedJobAgeSeconds ?? 0);
    // A counter whose truth is the store: set to the stored count at each scrape.
    completed.reset();
    for (const [conclusion, count] of Object.entries(gauges.jobsCompleted))
      completed.inc({ conclusion }, count);
    const states = { idle: 0, busy: 0, offline: 0 };
    for (const runner of listed.runners) {
      states[!runner.isOnline ? "offline" : runner.busyJobId === null ? "idle" : "busy"] += 1;
    }
    for (const [state, count] of Object.entries(states)) runners.set({ state }, count);
  };

  return {
    registry,
    async render() {
      await readStore();
      return registry.metrics();
    },
    observeJobFinished(job) {
      if (!job.startedAt || !job.finishedAt) return;
      queueSeconds.observe(secondsBetween(job.createdAt, job.startedAt));
      const conclusion: Conclusion | "none" = job.conclusion ?? "none";
      runSeconds.observe({ conclusion }, secondsBetween(job.startedAt, job.finishedAt));
    },
    observeDeliveryTaken(event, receivedAt) {
      intakeSeconds.observe({ event }, Math.max(0, (Date.now() - Date.parse(receivedAt)) / 1000));
    },
    observeWebhookAnswered(statusCode, seconds) {
      answerSeconds.observe({ code: String(statusCode) }, seconds);
    },
  };
}

type Counts = Partial<Record<string, number>>;

function openStatuses(statuses: readonly string[]): string[] {
  return statuses.filter((status) => status !== "completed");
}

function secondsBetween(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
