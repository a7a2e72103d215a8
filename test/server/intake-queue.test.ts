// The intake queue in `hangar serve`: deliveries are answered at once and taken later, a burst of one repository's
// deliveries costs one mirror fetch, a delivery left by a dead server is taken, and a delivery whose repository cannot
// be fetched is retried, shown with its error, failed for good, and queued again by a redelivery or an operator.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { startServer, type RunningServer, type ServerConfig } from "../../src/server/index.js";
import {
  claimDeliveries,
  enqueueDelivery,
  getRun,
  insertRepository,
  openStore,
  type Delivery,
} from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { takenDelivery } from "../support/deliveries.js";
import { sendWebhook } from "../support/fake-github.js";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server.js";
import { makeGitRepo } from "../support/git-repo.js";
import { waitFor } from "../support/hangar-process.js";

const repositoryName = "octo-org/octo-repo";
const secret = "s";
const workflow = `name: CI
on: push
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo built
`;

interface Setup {
  dataDir: string;
  git: GitHttpServer;
  gitUrl: string;
  workTree: string;
  /** The commits of main, oldest first. */
  shas: string[];
  /** Closed before the git server and the directories go. */
  servers: RunningServer[];
}

/** A work tree with `commits` commits, served by a git HTTP server once published (not before). */
async function prepare(t: TestContext, commits: number): Promise<Setup> {
  const base = await mkdtemp(path.join(os.tmpdir(), "hangar-intake-"));
  const workTree = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  const shas = [execFileSync("git", ["-C", workTree, "rev-parse", "HEAD"]).toString().trim()];
  for (let index = 1; index < commits; index++) {
    execFileSync("git", ["-C", workTree, "commit", "-q", "--allow-empty", "-m", `commit ${index}`]);
    shas.push(execFileSync("git", ["-C", workTree, "rev-parse", "HEAD"]).toString().trim());
  }
  const git = await startGitHttpServer({ root: path.join(base, "git") });
  const servers: RunningServer[] = [];
  t.after(async () => {
    for (const server of servers) await server.close();
    await git.close();
    await Promise.all([base, workTree].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    dataDir: path.join(base, "server"),
    git,
    gitUrl: `${git.url}/${repositoryName}.git`,
    workTree,
    shas,
    servers,
  };
}

async function serve(setup: Setup, config: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const server = await startServer({
    dataDir: setup.dataDir,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["self-hosted"],
    ...config,
  });
  setup.servers.push(server);
  return server;
}

function pushPayload(sha: string) {
  return {
    ref: "refs/heads/main",
    before: "0000000000000000000000000000000000000000",
    after: sha,
    repository: { full_name: repositoryName },
    sender: { login: "octocat" },
  };
}

function fetchesOf(setup: Setup): number {
  // Each `git fetch` starts with one GET of info/refs (then one POST or more, as the protocol version needs).
  return setup.git.requestsFor(repositoryName).filter((request) => request.url.includes("/info/refs")).length;
}

async function completedRun(server: RunningServer, runId: number) {
  return waitFor(`run ${runId} completed`, async () => {
    const found = await getRun(server.store, runId);
    return found?.run.status === "completed" ? found.run : undefined;
  });
}

test("deliveries queued while no server ran are taken at start: one fetch for the repository's twelve commits", async (t) => {
  const setup = await prepare(t, 12);
  await setup.git.publish(repositoryName, setup.workTree);
  // What a server that answered twelve pushes and died before taking them leaves in the store; the last one it had
  // claimed already, its lease since lapsed.
  const store = await openStore({ dataDir: setup.dataDir });
  const repository = await insertRepository(store, {
    name: repositoryName,
    gitUrl: setup.gitUrl,
    webhookSecret: secret,
  });
  for (const [index, sha] of setup.shas.entries()) {
    await enqueueDelivery(store, {
      deliveryId: `push-${index}`,
      event: "push",
      repositoryId: repository.id,
      payload: pushPayload(sha),
    });
  }
  await claimDeliveries(store, { owner: "dead-server", leaseMs: -1_000, limit: 1 });
  await store.close();

  const server = await serve(setup);
  const taken: Delivery[] = [];
  for (let index = 0; index < setup.shas.length; index++) {
    taken.push(await takenDelivery(server.store, `push-${index}`));
  }
  assert.deepEqual(
    taken.map((delivery) => [delivery.status, delivery.runIds.length]),
    setup.shas.map(() => ["handled", 1]),
  );
  assert.equal(taken[0]!.attempts, 2, "the delivery the dead server held is taken again");
  // One fetch brought every commit; the other is the scheduler's read of the default branch at start.
  assert.equal(fetchesOf(setup), 2);
  for (const [index, delivery] of taken.entries()) {
    const run = await completedRun(server, delivery.runIds[0]!);
    assert.deepEqual([run.sha, run.conclusion], [setup.shas[index], "success"]);
  }
  const runNumbers = await Promise.all(
    taken.map(async (delivery) => (await getRun(server.store, delivery.runIds[0]!))!.run.runNumber),
  );
  assert.deepEqual(
    runNumbers,
    setup.shas.map((_, index) => index + 1),
    "runs are numbered in the order GitHub sent the pushes",
  );
});

test("a delivery whose repository cannot be fetched is answered, retried, failed with its error, and queued again", async (t) => {
  const setup = await prepare(t, 1);
  const server = await serve(setup, { intake: { retryBaseMs: 20, pollMs: 20, maxAttempts: 3 } });
  await insertRepository(server.store, { name: repositoryName, gitUrl: setup.gitUrl, webhookSecret: secret });
  const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
  const operator = authHeaders(await createApiToken(server.store, { role: "operator" }));
  const webhooks = `${server.url}/webhooks/github`;
  const deliveryOf = async (deliveryId: string) =>
    (await (
      await fetch(`${server.url}/api/deliveries/${deliveryId}`, { headers: viewer })
    ).json()) as Delivery;

  // Not published yet: every fetch fails.
  const first = await sendWebhook(webhooks, { event: "push", secret, payload: pushPayload(setup.shas[0]!) });
  assert.deepEqual([first.status, first.body], [202, { queued: true, deliveryId: first.deliveryId }]);
  const failed = await takenDelivery(server.store, first.deliveryId);
  assert.deepEqual([failed.status, failed.attempts, failed.runIds], ["failed", 3, []]);
  assert.match(failed.error ?? "", /cannot fetch from http:\/\/127\.0\.0\.1:\d+\/octo-org\/octo-repo\.git/);
  assert.deepEqual(await deliveryOf(first.deliveryId), failed);
  const listed = (await (
    await fetch(`${server.url}/api/deliveries?status=failed`, { headers: viewer })
  ).json()) as { deliveries: Delivery[] };
  assert.deepEqual(
    listed.deliveries.map((delivery) => delivery.deliveryId),
    [first.deliveryId],
  );
  const second = await sendWebhook(webhooks, { event: "push", secret, payload: pushPayload(setup.shas[0]!) });
  assert.equal((await takenDelivery(server.store, second.deliveryId)).status, "failed");

  await setup.git.publish(repositoryName, setup.workTree);
  // GitHub's "Redeliver" sends the same id: a failed delivery is queued again rather than answered as a duplicate.
  const redelivered = await sendWebhook(webhooks, {
    event: "push",
    secret,
    payload: pushPayload(setup.shas[0]!),
    deliveryId: first.deliveryId,
  });
  assert.equal(redelivered.status, 202);
  const handled = await takenDelivery(server.store, first.deliveryId);
  assert.deepEqual([handled.status, handled.attempts, handled.runIds.length], ["handled", 1, 1]);
  assert.match(handled.error ?? "", /cannot fetch/, "the last failure stays visible after a later success");

  const retry = (deliveryId: string, headers: Record<string, string>) =>
    fetch(`${server.url}/api/deliveries/${deliveryId}/retry`, { method: "POST", headers });
  assert.equal((await retry(second.deliveryId, viewer)).status, 403);
  assert.equal((await retry(second.deliveryId, operator)).status, 202);
  assert.equal((await takenDelivery(server.store, second.deliveryId)).status, "handled");
  const again = await retry(second.deliveryId, operator);
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, "DELIVERY_NOT_FAILED");
  assert.equal((await retry("no-such-delivery", operator)).status, 404);

  const duplicate = await sendWebhook(webhooks, {
    event: "push",
    secret,
    payload: pushPayload(setup.shas[0]!),
    deliveryId: first.deliveryId,
  });
  assert.deepEqual([duplicate.status, duplicate.body], [200, { ok: true, duplicate: true }]);
  for (const delivery of [handled, await takenDelivery(server.store, second.deliveryId)]) {
    assert.equal((await completedRun(server, delivery.runIds[0]!)).conclusion, "success");
  }
});
