// `hangar serve`: one fastify app with the webhook and API plugins over one store, running jobs with the engine.
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { mkdir } from "node:fs/promises";
import Fastify, { type FastifyInstance } from "fastify";
import {
  createGitHubClient,
  type GitHubConnection,
  type JobTokenDefault,
} from "../integrations/github/index.js";
import {
  HostExecutor,
  registerWithServer,
  runnerLoop,
  type ActionSource,
  type JobRequest,
  type RunnerPlacement,
} from "../runner/index.js";
import {
  getRepository,
  getRun,
  markRunnerSeen,
  mintRegistrationToken,
  enqueueDelivery,
  openStore,
  requeueDelivery,
  type NewDelivery,
  type Store,
} from "../store/index.js";
import { apiPlugin } from "./api/api-plugin.js";
import { artifactRoutes } from "./api/artifact-routes.js";
import { approvalRoutes } from "./api/approval-routes.js";
import { environmentRoutes } from "./api/environment-routes.js";
import {
  createEnvironmentGates,
  startAuditCheckpointer,
  resolveJobSecrets,
  SecretKeyring,
  calledWorkflowReader,
  cancelRun,
  startClusterActivity,
  startStoreConcurrency,
  rerunRun,
  resumeAdoptedRun,
  takeDeliveries,
  takeEvent,
  type IntakeDeps,
  startIntakeWorker,
  type IntakeWorkerOptions,
  startOrchestrationSweeper,
  resolveResilience,
  type ResilienceConfig,
  createJobTokens,
  createRunLauncher,
  type RunLauncher,
  createGitHubReporter,
  type GitHubReportMode,
  createWaitRecorder,
  createQueueDispatch,
  createScheduler,
  type Scheduler,
  createWorkflowPool,
  startReconciler,
  type ReconcilerOptions,
  startLeaseSweeper,
  createServerMetrics,
} from "../control/index.js";
import { auditRoutes } from "./api/audit-routes.js";
import { secretRoutes } from "./api/secret-routes.js";
import { accessControlPlugin } from "./auth/index.js";
import { registerOpenApi } from "./api/openapi.js";
import { webhookPlugin } from "./webhooks/index.js";
import { runnerProtocolPlugin } from "./runner-protocol/index.js";
import { metricsPlugin } from "./metrics/index.js";

export interface ServerConfig {
  dataDir: string;
  /** PostgreSQL when set; the embedded SQLite file in the data dir otherwise. */
  databaseUrl?: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Labels of the runner that runs inside the server process and takes queued jobs like any other runner;
   * an empty list starts none (then only registered `hangar runner`s run jobs).
   */
  embeddedRunnerLabels: string[];
  /** Where the embedded runner runs jobs (`hangar serve --executor`); default: the host executor under the data dir. */
  embeddedRunnerPlacement?: RunnerPlacement;
  /**
   * Where every runner (embedded or registered) fetches a remote action or reusable workflow missing from its own
   * action store: sent with each job. Omitted, runners fetch nothing.
   */
  actionSource?: ActionSource;
  /**
   * Reporting back to GitHub (default: commit statuses, no pull request comment); omitted, nothing is sent. As a
   * GitHub App, each job also gets an installation token as its GITHUB_TOKEN, with `jobTokenPermissions` (default
   * restricted) for jobs that set no `permissions:`.
   */
  github?: GitHubConnection & {
    report?: GitHubReportMode;
    prComment?: boolean;
    jobTokenPermissions?: JobTokenDefault;
    /** Finding pushes and pull request changes whose webhooks never came (reconciler.ts); false turns it off. */
    reconcile?: Pick<ReconcilerOptions, "intervalMs" | "lookbackMs" | "settleMs"> | false;
  };
  logger?: boolean;
  /** Leases, sweeps and the runner-lost policy; see resilience-config.ts for the defaults. */
  resilience?: Partial<ResilienceConfig>;
  /**
   * Environments' gates: how often a waiting gate re-reads the store (default 5 s; decisions made on this server wake
   * it at once) and how long a job may wait for approval (default 30 days, as on GitHub).
   */
  gates?: { pollMs?: number; timeoutMs?: number };
  /** How often to sign an audit checkpoint into the data dir (when the chain grew); omitted or 0, never. */
  auditCheckpointIntervalMs?: number;
  /** The intake queue's retries and polling; see intake-worker.ts for the defaults. */
  intake?: Pick<IntakeWorkerOptions, "maxAttempts" | "retryBaseMs" | "pollMs" | "leaseMs" | "parallel">;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  launcher: RunLauncher;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true });
  const store = await openStore({ url: config.databaseUrl, dataDir: config.dataDir });
  // Loaded (or its key file created) at start, so a wrong or unreadable key stops the server instead of a job.
  const keyring = await SecretKeyring.load({ dataDir: config.dataDir, env: process.env }).catch(
    async (error: unknown) => {
      await store.close();
      throw error;
    },
  );
  // forceCloseConnections: an idle runner's keep-alive socket must not hold close() up.
  const app = Fastify({ logger: config.logger ?? false, forceCloseConnections: true });
  const resilience = resolveResilience(config.resilience);
  // Recorded as the orchestrator of the runs this process runs; a restarted process is a new instance.
  const instanceId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const cluster = await startClusterActivity({
    store,
    instanceId,
    onRunCancelRequested: (runId) => void launcher.cancel(runId),
    log: (message, details) => app.log.warn(details ?? {}, message),
  });
  const activity = cluster.activity;
  const concurrency = await startStoreConcurrency({
    store,
    // Recorded in the store already: this wakes the run's orchestrator, here or on another server.
    onRunCancelRequested: (runId) => {
      if (!launcher.cancel(runId)) void cluster.announceRunCancel(runId);
    },
    onJobCancelled: (jobRowId) => activity.notify(jobRowId),
    log: (message, details) => app.log.warn(details ?? {}, message),
  });
  let url = "";
  const gitHub = config.github && createGitHubClient(config.github);
  const reporter = config.github
    ? createGitHubReporter({
        client: gitHub!,
        mode: config.github.report ?? "statuses",
        prComment: config.github.prComment ?? false,
        publicUrl: () => url,
        log: (message, details) => app.log.warn(details ?? {}, message),
      })
    : undefined;
  const gates = createEnvironmentGates({
    store,
    ...(config.gates?.pollMs ? { pollMs: config.gates.pollMs } : {}),
    ...(config.gates?.timeoutMs ? { timeoutMs: config.gates.timeoutMs } : {}),
    log: (message, details) => app.log.warn(details ?? {}, message),
  });
  const workflows = createWorkflowPool();
  const jobTokens =
    gitHub?.jobTokens &&
    createJobTokens({
      store,
      activity,
      issuer: gitHub.jobTokens,
      defaults: config.github?.jobTokenPermissions ?? "restricted",
      log: (message, details) => app.log.warn(details ?? {}, message),
    });
  const launcher = createRunLauncher({
    store,
    hasJobToken: jobTokens !== undefined,
    dataDir: config.dataDir,
    ...(config.actionSource ? { actionSource: config.actionSource } : {}),
    get publicUrl() {
      return url;
    },
    observers: [
      createWaitRecorder(store, (message, details) => app.log.warn(details ?? {}, message)),
      ...(reporter ? [reporter.observe] : []),
    ],
    dispatchJob: createQueueDispatch(store, { activity }),
    log: (message, details) => app.log.warn(details ?? {}, message),
    instanceId,
    orchestrationLeaseMs: resilience.runLeaseMs,
    concurrencyFor: (run) => concurrency.forRun(run),
    gateFor: (run, repository) => gates.forRun(run, repository),
    calledWorkflowsFor: (run, repository) =>
      calledWorkflowReader(
        {
          dataDir: config.dataDir,
          checkFile: workflows.checkFile,
          ...(config.actionSource ? { actionSource: config.actionSource } : {}),
        },
        run,
        repository,
      ),
  });

  const metrics = createServerMetrics(store);
  const planEvent = workflows.planEvent;
  const log = (message: string, details?: Record<string, unknown>) => app.log.warn(details ?? {}, message);
  const intake: IntakeDeps = { store, dataDir: config.dataDir, startRun: launcher.startRun, planEvent, log };
  const intakeWorker = startIntakeWorker({
    store,
    instanceId,
    take: (repository, deliveries, onFailure) => takeDeliveries(intake, repository, deliveries, onFailure),
    onHandled: async (repository, delivery) => {
      metrics.observeDeliveryTaken(delivery.event, delivery.receivedAt);
      // A push to the default branch may change the workflows' schedules.
      if (delivery.event !== "push" || delivery.payload["ref"] !== `refs/heads/${repository.defaultBranch}`)
        return;
      await scheduler.refresh(repository);
    },
    log,
    ...config.intake,
  });
  // A delivery this server queues is its own to take for a while, so the replica GitHub reached runs it.
  const intakeOffer = { owner: instanceId, ms: (config.intake?.pollMs ?? 1_000) * 2 };
  const enqueue = async (delivery: NewDelivery) => {
    const outcome = await enqueueDelivery(store, { ...delivery, offer: intakeOffer });
    if (outcome !== "duplicate") intakeWorker.wake();
    return outcome;
  };
  const scheduler = createScheduler({
    store,
    dataDir: config.dataDir,
    enqueue,
    readSchedules: workflows.readSchedules,
    log,
  });

  // One error shape for every route outside the plugins that set their own.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) app.log.error(error);
    const message = statusCode >= 500 ? "internal error" : error.message;
    return reply.code(statusCode).send({ statusCode, code: error.code ?? "HTTP_ERROR", message });
  });
  // Before every route: it refuses a route that declares no access, and guards those that declare a role.
  await app.register(accessControlPlugin, { store });
  // Before every route: the description is built from the routes as they register.
  await registerOpenApi(app);
  // A runner's claims and heartbeats are its signs of life (GET /api/runners shows it online from them).
  app.addHook("onRequest", async (request) => {
    const route = request.routeOptions.url;
    if (route !== "/api/runners/claim" && route !== "/api/jobs/:id/heartbeat") return;
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (token) await markRunnerSeen(store, token);
  });
  app.addHook("onResponse", async (request, reply) => {
    if (request.routeOptions.url === "/webhooks/github") {
      metrics.observeWebhookAnswered(reply.statusCode, reply.elapsedTime / 1000);
    }
  });
  await app.register(metricsPlugin, { metrics });
  await app.register(webhookPlugin, {
    lookupRepository: async (fullName) => {
      const repository = await getRepository(store, fullName);
      return repository ? { id: repository.id, secret: repository.webhookSecret ?? "" } : undefined;
    },
    enqueue: (delivery) =>
      enqueue({
        deliveryId: delivery.deliveryId,
        event: delivery.event,
        repositoryId: delivery.repositoryId,
        payload: delivery.payload,
      }),
  });
  await app.register(apiPlugin, {
    store,
    activity,
    cancelRun: (runId, actor) =>
      cancelRun({ store, launcher, cluster }, runId, actor).catch((error: unknown) => {
        throw toHttpError(error);
      }),
    retryDelivery: async (deliveryId, actor) => {
      const isQueued = await requeueDelivery(store, deliveryId, { actor, offer: intakeOffer });
      if (isQueued) intakeWorker.wake();
      return isQueued;
    },
    dispatch: async (event) => ({ ...(await takeEvent(intake, event)) }),
    rerunRun: (runId, failedOnly, actor) =>
      rerunRun(intake, runId, {
        failedOnly,
        actor,
      }).catch((error: unknown) => {
        throw toHttpError(error);
      }),
  });

  await app.register(artifactRoutes, { store, dataDir: config.dataDir });
  await app.register(environmentRoutes, { store });
  await app.register(approvalRoutes, { store, onDecided: (runId) => gates.wake(runId) });
  await app.register(auditRoutes, { store });
  await app.register(secretRoutes, { store, keyring });
  await app.register(runnerProtocolPlugin, {
    store,
    activity,
    onJobCompleted: (job) => metrics.observeJobFinished(job),
    leaseMs: resilience.runnerLeaseMs,
    dataDir: config.dataDir,
    resolveSecrets: async (job) => {
      const found = await getRun(store, job.runId);
      if (!found) throw new Error(`run ${job.runId} does not exist`);
      const request = job.request as JobRequest | null;
      const delivered = await resolveJobSecrets(store, keyring, {
        repositoryId: found.run.repositoryId,
        environment: request?.environment?.name,
        event: found.run.event,
        payload: found.run.payload,
      });
      // GitHub's rule: secret names cannot start with GITHUB_, so this one is always the job's own token.
      if (jobTokens) delivered.repository["GITHUB_TOKEN"] = await jobTokens.issue(job);
      return delivered;
    },
  });
  const sweeper = startLeaseSweeper(store, {
    activity,
    intervalMs: resilience.leaseSweepMs,
    runnerLostPolicy: resilience.runnerLostPolicy,
    maxAttempts: resilience.maxJobClaims,
    onError: (error) => app.log.error({ error: String(error) }, "lease sweep failed"),
  });

  url = await app.listen({ host: config.host, port: config.port });
  scheduler.start();
  const reconciler =
    gitHub && config.github?.reconcile !== false
      ? startReconciler({ store, client: gitHub, enqueue, log, ...config.github?.reconcile })
      : undefined;
  const embedded = await startEmbeddedRunner(store, url, config);
  const orchestration = startOrchestrationSweeper({
    store,
    instanceId,
    leaseMs: resilience.runLeaseMs,
    intervalMs: resilience.runSweepMs,
    resume: (adopted) =>
      resumeAdoptedRun(
        { store, dataDir: config.dataDir, resumeRun: launcher.resumeRun, planEvent, log },
        adopted,
      ),
    onError: (error, runId) => app.log.error({ runId, error: String(error) }, "resuming runs failed"),
  });
  const checkpoints = config.auditCheckpointIntervalMs
    ? startAuditCheckpointer({
        store,
        dataDir: config.dataDir,
        intervalMs: config.auditCheckpointIntervalMs,
        log,
      })
    : undefined;
  return {
    url,
    app,
    store,
    launcher,
    scheduler,
    async close() {
      await scheduler.stop();
      await reconciler?.stop();
      await intakeWorker.stop();
      await orchestration.stop();
      gates.stop();
      await launcher.idle();
      launcher.stop();
      await reporter?.idle();
      await embedded.stop();
      await jobTokens?.stop();
      await app.close();
      await workflows.close();
      await sweeper.stop();
      await checkpoints?.stop();
      await concurrency.close();
      await cluster.close();
      await store.close();
    },
  };
}

/** The server's own runner: registered over its own HTTP API like any other, so every job takes one path. */
async function startEmbeddedRunner(
  store: Store,
  url: string,
  config: ServerConfig,
): Promise<{ stop(): Promise<void> }> {
  if (config.embeddedRunnerLabels.length === 0) return { stop: async () => undefined };
  const { token } = await mintRegistrationToken(store, { ttlMs: 60_000 });
  const { runnerToken } = await registerWithServer(url, {
    token,
    name: "embedded",
    labels: config.embeddedRunnerLabels,
    ephemeral: false,
  });
  const stop = new AbortController();
  const loop = runnerLoop({
    url,
    runnerToken,
    stopSignal: stop.signal,
    host: {
      executor: new HostExecutor({
        baseDir: path.join(config.dataDir, "jobs"),
        homesDir: path.join(config.dataDir, "homes"),
      }),
      ...config.embeddedRunnerPlacement,
      dataDir: config.dataDir,
      baseEnv: { PATH: process.env["PATH"] ?? "" },
      runnerName: "hangar-embedded",
      stepDebug: false,
    },
  });
  return {
    async stop() {
      stop.abort();
      await loop.catch(() => undefined);
    },
  };
}

/** Store errors a caller caused become 404/409 instead of 500. */
function toHttpError(error: unknown): Error {
  const code = (error as { code?: string }).code;
  const statusCode = code === "STORE_NOT_FOUND" ? 404 : code === "STORE_ILLEGAL_TRANSITION" ? 409 : 500;
  return Object.assign(new Error((error as Error).message), { statusCode, code: code ?? "INTERNAL" });
}
