// Deliveries GitHub never sent: the server reads each repository's recent events through GitHub's REST API (played
// by the fake GitHub), finds the push whose webhook did not arrive, and takes it once as a reconciled delivery.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startServer } from "../../src/server/index.js";
import { getDelivery, getRun, insertRepository, listDeliveries } from "../../src/store/index.js";
import { deliverWebhook, takenDelivery } from "../support/deliveries.js";
import { startFakeGitHub } from "../support/fake-github.js";
import { makeGitRepo } from "../support/git-repo.js";
import { waitFor } from "../support/hangar-process.js";

const fullName = "octo-org/octo-repo";
const token = "ghp_reconcile";
const secret = "s";
const workflow = `on: push
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo "built $GITHUB_SHA"
`;

test("a push whose webhook never came is found in the repository's events and run once", async (t) => {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, ...args])
      .toString()
      .trim();
  const delivered = git("rev-parse", "HEAD");
  git("commit", "-q", "--allow-empty", "-m", "a push GitHub did not deliver");
  const missed = git("rev-parse", "HEAD");
  const github = await startFakeGitHub({ token, repositories: [fullName] });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-reconcile-"));
  const server = await startServer({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["self-hosted"],
    github: { baseUrl: github.url, token, reconcile: { intervalMs: 50, settleMs: 0 } },
  });
  t.after(async () => {
    await server.close();
    await github.close();
    await Promise.all([repo, dataDir].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret: secret });

  const push = (before: string, after: string) => ({
    ref: "refs/heads/main",
    before,
    after,
    repository: { full_name: fullName },
    sender: { login: "octocat" },
  });
  const zero = "0".repeat(40);
  const webhook = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
    event: "push",
    secret,
    payload: push(zero, delivered),
  });
  assert.equal(webhook.taken?.status, "handled");
  // GitHub's events list shows both pushes; only the first was delivered.
  const pushEvent = (before: string, head: string) =>
    github.addEvent(fullName, {
      type: "PushEvent",
      actor: "octocat",
      payload: { repository_id: 1, push_id: 1, ref: "refs/heads/main", head, before },
    });
  const deliveredEvent = pushEvent(zero, delivered);
  const missedEvent = pushEvent(delivered, missed);
  github.addEvent(fullName, { type: "WatchEvent", actor: "stargazer", payload: { action: "started" } });

  const reconciled = await takenDelivery(server.store, `reconciled:push:${missedEvent.id}`);
  assert.deepEqual([reconciled.status, reconciled.runIds.length], ["handled", 1]);
  const run = await waitFor("the reconciled run", async () => {
    const found = await getRun(server.store, reconciled.runIds[0]!);
    return found?.run.status === "completed" ? found.run : undefined;
  });
  assert.deepEqual(
    [run.sha, run.ref, run.event, run.actor, run.conclusion],
    [missed, "refs/heads/main", "push", "octocat", "success"],
  );

  // Later passes find nothing more: the delivered push matches its webhook, the missed one its reconciled delivery.
  const eventReads = () => github.requests.filter((r) => r.path === `/repos/${fullName}/events`).length;
  const readsNow = eventReads();
  await github.waitFor(() => eventReads() >= readsNow + 3);
  assert.equal(await getDelivery(server.store, `reconciled:push:${deliveredEvent.id}`), undefined);
  const { deliveries } = await listDeliveries(server.store);
  assert.deepEqual(
    deliveries.map((delivery) => delivery.deliveryId).sort(),
    [webhook.deliveryId, reconciled.deliveryId].sort(),
  );
});
