// Two `hangar serve` replicas on one PostgreSQL, no embedded runners, four `hangar runner`s (two per replica): 1,000
// jobs (50 runs of 20) pushed alternately to both all complete, each claimed and started exactly once, no run left
// open; and a run cancelled through the replica that does not orchestrate it stops.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sql } from "kysely";
import {
  getRun,
  insertRepository,
  mintRegistrationToken,
  openStore,
  type Store,
} from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import {
  freePort,
  pushWebhook,
  startRunner,
  startServe,
  waitFor,
  waitForDrain,
  type HangarProcess,
} from "../support/hangar-process.js";

const secret = "replica-secret";
const repositoryName = "octo-org/octo-repo";
const runCount = 50;
const jobsPerRun = 20;

const workflows = {
  ".github/workflows/ci.yml": `on:
  push:
    branches: [main]
jobs:
  work:
    runs-on: self-hosted
    strategy:
      matrix:
        i: [${Array.from({ length: jobsPerRun }, (_, i) => i + 1).join(", ")}]
    steps:
      - run: echo "job \${{ matrix.i }}"
`,
  ".github/workflows/hang.yml": `on:
  push:
    branches: [hang]
jobs:
  hang:
    runs-on: self-hosted
    steps:
      - run: sleep 600
`,
};

test("two replicas on one PostgreSQL run 1,000 jobs, each exactly once", async (t) => {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const repo = await makeGitRepo(workflows);
  dirs.push(repo);
  execFileSync("git", ["-C", repo, "branch", "hang"]);
  const sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"]).toString().trim();
  const database = await createTestDatabase("postgres");
  const serveArgs = ["--run-lease", "5", "--sweep-interval", "1"];
  const replicas: (HangarProcess & { url: string })[] = [];
  for (const dataDir of [database.options.dataDir, tempDir("hangar-replica-")]) {
    replicas.push(
      await startServe({
        dataDir,
        databaseUrl: database.options.url,
        port: await freePort(),
        args: serveArgs,
      }),
    );
  }
  const store: Store = await openStore(database.options);
  t.after(async () => {
    await Promise.all(replicas.map((replica) => replica.kill("SIGTERM")));
    await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  await insertRepository(store, { name: repositoryName, gitUrl: repo, webhookSecret: secret });
  for (let index = 0; index < 4; index++) {
    const { token } = await mintRegistrationToken(store);
    await startRunner({
      url: replicas[index % 2]!.url,
      registrationToken: token,
      dataDir: tempDir("hangar-runner-"),
      name: `runner-${index}`,
      labels: ["self-hosted"],
    });
  }
  const push = (replica: { url: string }, branch: string) =>
    pushWebhook(store, replica.url, { secret, repository: repositoryName, sha, branch });

  // 1. A run that hangs, cancelled through the replica that does not orchestrate it.
  const [hangRun] = await push(replicas[0]!, "hang");
  const orchestrator = await waitFor("the hanging job to start", async () => {
    const row = await store.db
      .selectFrom("runs")
      .innerJoin("jobs", "jobs.run_id", "runs.id")
      .select(["runs.orchestrator", "jobs.status"])
      .where("runs.id", "=", hangRun!)
      .executeTakeFirst();
    return row?.status === "in_progress" && row.orchestrator ? row.orchestrator : undefined;
  });
  const owner = replicas.findIndex((replica) => orchestrator.split(":")[1] === String(replica.pid));
  assert.ok(owner >= 0, `orchestrator ${orchestrator} is one of the replicas`);
  const other = replicas[1 - owner]!;
  // Any replica accepts a token: they share the store.
  const operator = authHeaders(await createApiToken(store, { role: "operator" }));
  const cancelled = await fetch(`${other.url}/api/runs/${hangRun}/cancel`, {
    method: "POST",
    headers: operator,
  });
  assert.equal(cancelled.status, 202, await cancelled.text());
  const stopped = await waitFor("the cancelled run to complete", async () => {
    const found = await getRun(store, hangRun!);
    return found?.run.status === "completed" ? found : undefined;
  });
  assert.equal(stopped.run.conclusion, "cancelled");
  assert.deepEqual(
    stopped.jobs.map((job) => job.conclusion),
    ["cancelled"],
  );

  // 2. 50 runs of 20 jobs, pushed alternately to the two replicas, five deliveries at a time.
  const runIds: number[] = [];
  for (let index = 0; index < runCount; index += 5) {
    const batch = await Promise.all(
      [0, 1, 2, 3, 4].map((offset) => push(replicas[(index + offset) % 2]!, "main")),
    );
    runIds.push(...batch.flat());
  }
  assert.equal(runIds.length, runCount);
  await waitForDrain("every run to complete", async () => {
    const open = await store.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("run_id", "in", runIds)
      .where("status", "<>", "completed")
      .executeTakeFirstOrThrow();
    const openRuns = await store.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("id", "in", runIds)
      .where("status", "<>", "completed")
      .executeTakeFirstOrThrow();
    return Number(open.n) + Number(openRuns.n);
  });

  // 3. Every run succeeded; every job row completed once, with exactly one claim and one job:started event.
  const runs = await store.db.selectFrom("runs").select(["conclusion"]).where("id", "in", runIds).execute();
  assert.deepEqual(
    runs.map((run) => run.conclusion),
    runIds.map(() => "success"),
  );
  const jobs = await store.db
    .selectFrom("jobs")
    .select(["id", "status", "conclusion", "claim_count"])
    .where("run_id", "in", runIds)
    .execute();
  assert.equal(jobs.length, runCount * jobsPerRun);
  assert.deepEqual(
    jobs.filter((job) => job.status !== "completed" || job.conclusion !== "success" || job.claim_count !== 1),
    [],
  );
  const { rows: starts } = await sql<{ resource_id: string; n: string }>`
    select resource_id, count(*) as n from events
    where action = 'job:started' and resource_type = 'job'
      and resource_id in (select cast(id as text) from jobs where run_id in (${sql.join(runIds)}))
    group by resource_id`.execute(store.db);
  assert.equal(starts.length, runCount * jobsPerRun);
  assert.deepEqual(
    starts.filter((row) => Number(row.n) !== 1),
    [],
  );
});
