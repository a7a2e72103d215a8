// `on: schedule`: cron entries of the workflows on each repository's default branch, fired with croner.
// Each fire is queued like a webhook delivery keyed by its scheduled minute, so restarts and several
// replicas on one database never fire the same schedule twice, and the intake queue takes it like any other.
import { Cron } from "croner";
import { formatDiagnostic, type SourceFile } from "../workflow/index.js";
import { ensureMirror, fetchRef, readWorkflowFiles } from "../integrations/github/index.js";
import {
  listRepositories,
  type EnqueueOutcome,
  type NewDelivery,
  type Repository,
  type Store,
} from "../store/index.js";
import { mirrorDirOf } from "./intake.js";
import type { ScheduleRead } from "./workflow-pool/index.js";

export interface SchedulerDeps {
  store: Store;
  dataDir: string;
  /** Queues a scheduled time like a webhook delivery, for the intake queue. */
  enqueue(delivery: NewDelivery): Promise<EnqueueOutcome>;
  /** The workflow pool's: the default branch's files are as untrusted as any other. */
  readSchedules(file: SourceFile): Promise<ScheduleRead>;
  log(message: string, details?: Record<string, unknown>): void;
}

export interface ScheduledEntry {
  repository: string;
  file: string;
  cron: string;
  nextRun: Date | null;
}

export interface Scheduler {
  /** Reads every registered repository's schedules in the background: a server listens before it reads a workflow. */
  start(): void;
  /** Re-reads one repository's schedules (at start, and after a push to its default branch). */
  refresh(repository: Repository): Promise<void>;
  /** Fires one schedule for the given scheduled time; false when that time was already fired. */
  fire(repository: Repository, file: string, cron: string, scheduledAt: Date): Promise<boolean>;
  entries(): ScheduledEntry[];
  /** Stops every cron, then waits for the reads that start() began. */
  stop(): Promise<void>;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const jobs = new Map<number, { file: string; cron: string; job: Cron; repository: string }[]>();
  const reading = new Set<Promise<void>>();
  let isStopped = false;

  const fire = async (
    repository: Repository,
    file: string,
    cron: string,
    scheduledAt: Date,
  ): Promise<boolean> => {
    // One fire per repository, workflow, cron and minute, whichever process gets there first.
    const minute = new Date(Math.floor(scheduledAt.getTime() / 60_000) * 60_000).toISOString();
    const deliveryId = `schedule:${repository.id}:${file}:${cron}:${minute}`;
    const outcome = await deps.enqueue({
      deliveryId,
      event: "schedule",
      repositoryId: repository.id,
      payload: { schedule: cron, repository: { full_name: repository.name }, sender: { login: "hangar" } },
      actor: "hangar:schedule",
    });
    return outcome !== "duplicate";
  };

  const refresh = async (repository: Repository): Promise<void> => {
    const mirror = mirrorDirOf(deps.dataDir, repository);
    await ensureMirror(mirror, repository.gitUrl);
    // Docs "Events that trigger workflows → schedule": scheduled workflows run on the default branch's latest commit.
    const sha = await fetchRef(mirror, `refs/heads/${repository.defaultBranch}`);
    const files = await readWorkflowFiles(mirror, sha);
    const reads = await Promise.all(files.map((source) => deps.readSchedules(source)));
    const entries: { file: string; cron: string; job: Cron; repository: string }[] = [];
    for (const [index, source] of files.entries()) {
      const read = reads[index]!;
      if (read.diagnostics.length > 0) {
        deps.log("invalid workflow", {
          repository: repository.name,
          file: source.path,
          problems: read.diagnostics.map(formatDiagnostic),
        });
      }
      for (const schedule of read.schedules) {
        const job = new Cron(
          schedule.cron,
          { timezone: schedule.timezone ?? "UTC", catch: true },
          (self: Cron) => {
            const scheduledAt = self.currentRun() ?? new Date();
            fire(repository, source.path, schedule.cron, scheduledAt).catch((error: unknown) =>
              deps.log("scheduled run failed", {
                repository: repository.name,
                file: source.path,
                error: String(error),
              }),
            );
          },
        );
        entries.push({ file: source.path, cron: schedule.cron, job, repository: repository.name });
      }
    }
    // Reads of one repository may overlap (start and a push): the last to finish replaces the crons of the others.
    for (const entry of jobs.get(repository.id) ?? []) entry.job.stop();
    if (isStopped) for (const entry of entries) entry.job.stop();
    else jobs.set(repository.id, entries);
  };

  const readAll = async (): Promise<void> => {
    for (const repository of await listRepositories(deps.store)) {
      await refresh(repository).catch((error: unknown) =>
        deps.log("cannot read schedules", { repository: repository.name, error: String(error) }),
      );
    }
  };

  return {
    start() {
      const read = readAll().catch((error: unknown) =>
        deps.log("cannot read schedules", { error: String(error) }),
      );
      reading.add(read);
      void read.then(() => reading.delete(read));
    },
    refresh,
    fire,
    entries: () =>
      [...jobs.values()]
        .flat()
        .map((e) => ({ repository: e.repository, file: e.file, cron: e.cron, nextRun: e.job.nextRun() })),
    async stop() {
      isStopped = true;
      for (const entry of [...jobs.values()].flat()) entry.job.stop();
      jobs.clear();
      await Promise.all(reading);
    },
  };
}
