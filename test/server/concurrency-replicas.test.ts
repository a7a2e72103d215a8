// `concurrency:` across two `hangar serve` replicas on one PostgreSQL (each with its embedded runner): a group holds
// across replicas at workflow and job level, cancel-in-progress reaches a run another replica orchestrates, the newest
// pending run replaces the older one, group names compare case-insensitively, and groups are per repository.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { getRun, insertRepository, type Store } from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { makeGitRepo } from "../support/git-repo.js";
import { deliverWebhook } from "../support/deliveries.js";
import { waitFor } from "../support/hangar-process.js";

const secret = "concurrency-secret";
const markers = mkdtempSync(path.join(os.tmpdir(), "hangar-concurrency-markers-"));

// Each job marks that it started, then waits until the test releases its run.
const holdStep = `      - run: |
          touch "${markers}/started-\${{ github.run_id }}-\${{ github.job }}"
          until [ -e "${markers}/release-\${{ github.run_id }}" ] || [ -e "${markers}/release-all" ]; do sleep 0.1; done
`;

const workflows = {
  // The group comes from the delivery, so one test can vary its spelling.
  ".github/workflows/run-group.yml": `on:
  push:
    branches: [run-group]
concurrency:
  group: \${{ github.event.hangar_group }}
  cancel-in-progress: \${{ github.event.hangar_cancel == true }}
jobs:
  hold:
    runs-on: self-hosted
    steps:
${holdStep}`,
  ".github/workflows/job-cancel.yml": `on:
  push:
    branches: [job-cancel]
jobs:
  deploy:
    runs-on: self-hosted
    concurrency:
      group: production-cip
      cancel-in-progress: true
    steps:
${holdStep}`,
  ".github/workflows/job-group.yml": `on:
  push:
    branches: [job-group]
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo built
  deploy:
    needs: build
    runs-on: self-hosted
    concurrency: production
    steps:
${holdStep}`,
};

interface Cluster {
  replicas: RunningServer[];
  store: Store;
  push(
    replica: RunningServer,
    options: { branch: string; repository?: string; group?: string; cancel?: boolean },
  ): Promise<number>;
}

async function startCluster(t: { after(fn: () => Promise<void>): void }): Promise<Cluster> {
  const repo = await makeGitRepo(workflows);
  for (const branch of ["run-group", "job-group", "job-cancel"])
    execFileSync("git", ["-C", repo, "branch", branch]);
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  const database = await createTestDatabase("postgres");
  const dirs = [repo];
  const replicas: RunningServer[] = [];
  for (let index = 0; index < 2; index++) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `hangar-replica-${index}-`));
    dirs.push(dataDir);
    replicas.push(
      await startServer({
        dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["self-hosted"],
        // Heartbeats every second, so a runner hears of a cancel soon.
        resilience: { runnerLeaseMs: 3_000 },
      }),
    );
  }
  t.after(async () => {
    // Whatever a failed test left waiting is released, so the replicas can drain.
    writeFileSync(path.join(markers, "release-all"), "");
    for (const replica of replicas) await replica.close();
    for (const dir of [...dirs, markers]) rmSync(dir, { recursive: true, force: true });
  });
  const store = replicas[0]!.store;
  for (const name of ["octo-org/app", "octo-org/other"]) {
    await insertRepository(store, { name, gitUrl: repo, webhookSecret: secret });
  }
  return {
    replicas,
    store,
    async push(replica, options) {
      const delivered = await deliverWebhook(store, `${replica.url}/webhooks/github`, {
        event: "push",
        secret,
        payload: {
          ref: `refs/heads/${options.branch}`,
          after: sha,
          repository: { full_name: options.repository ?? "octo-org/app" },
          sender: { login: "octocat" },
          hangar_group: options.group ?? "deploy",
          hangar_cancel: options.cancel ?? false,
        },
      });
      assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
      return delivered.taken!.runIds[0]!;
    },
  };
}

function hasStarted(runId: number, job: string): boolean {
  return existsSync(path.join(markers, `started-${runId}-${job}`));
}

function waitForStart(runId: number, job = "hold"): Promise<true> {
  return waitFor(`run ${runId}'s ${job} to start`, async () => (hasStarted(runId, job) || undefined) as true);
}

function release(runId: number): void {
  writeFileSync(path.join(markers, `release-${runId}`), "");
}

async function completed(store: Store, runId: number) {
  return waitFor(`run ${runId} to complete`, async () => {
    const found = await getRun(store, runId);
    return found?.run.status === "completed" ? found : undefined;
  });
}

/** Resolves once the run's job waits for a concurrency group (recorded by its orchestrator). */
async function waitsForGroup(store: Store, runId: number, job: string): Promise<string> {
  return waitFor(`run ${runId}'s ${job} to wait for its group`, async () => {
    const row = await store.db
      .selectFrom("job_waits")
      .select("detail")
      .where("run_id", "=", runId)
      .where("job_key", "=", job)
      .where("reason", "=", "concurrency")
      .executeTakeFirst();
    return row ? (JSON.parse(row.detail) as string) : undefined;
  });
}

async function orchestratorOf(store: Store, runId: number): Promise<string | null> {
  const row = await store.db
    .selectFrom("runs")
    .select("orchestrator")
    .where("id", "=", runId)
    .executeTakeFirstOrThrow();
  return row.orchestrator;
}

test("workflow and job concurrency groups hold across two replicas on one PostgreSQL", async (t) => {
  const { replicas, store, push } = await startCluster(t);
  const [a, b] = replicas as [RunningServer, RunningServer];

  await t.test("cancel-in-progress: a run pushed to B cancels A's running run in its group", async () => {
    const first = await push(a, { branch: "run-group", group: "deploy-cip", cancel: true });
    await waitForStart(first);
    const second = await push(b, { branch: "run-group", group: "deploy-cip", cancel: true });
    // 1. Two orchestrators: the group spans them. 2. A's run is cancelled, its job too. 3. B's run then runs.
    assert.notEqual(await orchestratorOf(store, first), await orchestratorOf(store, second));
    const cancelled = await completed(store, first);
    assert.equal(cancelled.run.conclusion, "cancelled");
    assert.deepEqual(
      cancelled.jobs.map((job) => job.conclusion),
      ["cancelled"],
    );
    await waitForStart(second);
    release(second);
    assert.equal((await completed(store, second)).run.conclusion, "success");
  });

  await t.test(
    "without cancel-in-progress B's run waits until A's finishes (names compare case-insensitively)",
    async () => {
      const first = await push(a, { branch: "run-group", group: "Line" });
      await waitForStart(first);
      const second = await push(b, { branch: "run-group", group: "LINE" });
      assert.equal(await waitsForGroup(store, second, "hold"), "LINE");
      assert.equal(hasStarted(second, "hold"), false);
      release(first);
      assert.equal((await completed(store, first)).run.conclusion, "success");
      await waitForStart(second);
      release(second);
      assert.equal((await completed(store, second)).run.conclusion, "success");
    },
  );

  await t.test(
    "three quick pushes: the middle pending run is cancelled unstarted, the newest runs",
    async () => {
      const first = await push(a, { branch: "run-group", group: "triple" });
      await waitForStart(first);
      const second = await push(b, { branch: "run-group", group: "triple" });
      await waitsForGroup(store, second, "hold");
      const third = await push(a, { branch: "run-group", group: "triple" });
      const replaced = await completed(store, second);
      assert.deepEqual([replaced.run.conclusion, replaced.jobs.length], ["cancelled", 0]);
      release(first);
      assert.equal((await completed(store, first)).run.conclusion, "success");
      await waitForStart(third);
      release(third);
      assert.equal((await completed(store, third)).run.conclusion, "success");
    },
  );

  await t.test("a job-level group across two runs on different replicas", async () => {
    const first = await push(a, { branch: "job-group" });
    await waitForStart(first, "deploy");
    const second = await push(b, { branch: "job-group" });
    // 1. The second run's build is not held by the deploy group. 2. Its deploy waits for the first run's.
    assert.equal(await waitsForGroup(store, second, "deploy"), "production");
    await waitFor("the second run's build to succeed", async () => {
      const found = await getRun(store, second);
      return found?.jobs.find((job) => job.key === "build")?.conclusion === "success" || undefined;
    });
    assert.equal(hasStarted(second, "deploy"), false);
    release(first);
    assert.equal((await completed(store, first)).run.conclusion, "success");
    await waitForStart(second, "deploy");
    release(second);
    assert.equal((await completed(store, second)).run.conclusion, "success");
  });

  await t.test("job-level cancel-in-progress cancels the job another replica's run is running", async () => {
    const first = await push(a, { branch: "job-cancel" });
    await waitForStart(first, "deploy");
    const second = await push(b, { branch: "job-cancel" });
    // 1. The first run's deploy job is cancelled (its run with it: a cancelled job fails the run as cancelled).
    const cancelled = await completed(store, first);
    assert.deepEqual(
      cancelled.jobs.map((job) => [job.key, job.conclusion]),
      [["deploy", "cancelled"]],
    );
    // 2. The second run's deploy then runs.
    await waitForStart(second, "deploy");
    release(second);
    assert.equal((await completed(store, second)).run.conclusion, "success");
  });

  await t.test("two repositories with the same group name do not block each other", async () => {
    const mine = await push(a, { branch: "run-group", group: "shared", cancel: true });
    // Through the same replica, so one server's groups are per repository too.
    const theirs = await push(a, {
      branch: "run-group",
      group: "shared",
      cancel: true,
      repository: "octo-org/other",
    });
    // Both hold their group at once: neither waits nor is cancelled.
    await waitForStart(mine);
    await waitForStart(theirs);
    release(mine);
    release(theirs);
    assert.equal((await completed(store, mine)).run.conclusion, "success");
    assert.equal((await completed(store, theirs)).run.conclusion, "success");
  });
});
