// Environments' protection rules end to end (real server, git repository, signed webhooks, both dialects): a rejection
// fails the job with its reason and skips what needs it; N approvals from distinct reviewers (one through a group,
// one by `hangar approve`); a wait timer (elapsed time simulated by moving the recorded start of the wait back); a
// branch policy refusal; an admin bypass, recorded; a deployment's url from a step output, listed by
// `hangar deployments`; environments made by `hangar env add` and `hangar group add`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { getRun, saveEnvironment, type Store } from "../../src/store/index.js";
import { runHangar } from "../support/hangar-cli.js";
import { DIALECTS } from "../store/test-stores.js";
import { runEvents, startGateFixture, type GateFixture } from "./gate-fixture.js";

/** One workflow per scenario, each run by a push to its own branch. */
function deployWorkflow(branch: string, environment: string): string {
  return `on:
  push:
    branches: [${branch}]
jobs:
  deploy:
    runs-on: self-hosted
    environment:
      name: ${environment}
      url: \${{ steps.ship.outputs.url }}
    steps:
      - id: ship
        run: echo "url=https://${environment}.example.test/\${{ github.run_id }}" >> "$GITHUB_OUTPUT"
  after:
    needs: deploy
    runs-on: self-hosted
    steps:
      - run: echo after
`;
}

const scenarios = {
  rejected: "staging",
  quorum: "quorum",
  timer: "timed",
  feature: "main-only",
  bypass: "locked",
};

const files = Object.fromEntries(
  Object.entries(scenarios).map(([branch, environment]) => [
    `.github/workflows/${branch}.yml`,
    deployWorkflow(branch, environment),
  ]),
);

async function environment(store: Store, repositoryId: number, name: string, rules: object) {
  await saveEnvironment(store, { repositoryId, name, rules, actor: "test", mode: "create" });
}

async function pushBranch(fixture: GateFixture, branch: string, sender = "octocat"): Promise<number> {
  execFileSync("git", ["-C", fixture.repo, "branch", "-f", branch, "main"]);
  const [runId] = await fixture.push(sender, branch);
  assert.ok(runId, `a push to ${branch} starts a run`);
  return runId;
}

async function conclusionOf(fixture: GateFixture, runId: number) {
  const found = await getRun(fixture.server.store, runId);
  return {
    run: found?.run.conclusion,
    jobs: Object.fromEntries((found?.jobs ?? []).map((job) => [job.key, job.conclusion])),
  };
}

for (const dialect of DIALECTS) {
  describe(`environments and approvals (${dialect})`, () => {
    test("reject, quorum, wait timer, branch policy, bypass, deployments", async (t) => {
      const fixture = await startGateFixture(t, dialect, files, { gates: { pollMs: 100 } });
      const { server, repository, api } = fixture;
      const { store } = server;
      const location = [
        "--data-dir",
        fixture.dataDir,
        ...(fixture.databaseUrl ? ["--database-url", fixture.databaseUrl] : []),
      ];
      const bob = await fixture.token({ user: "bob", role: "approver", environments: ["*"] });
      const admin = await fixture.token({ user: "root", role: "admin" });
      const decide = (runId: number, headers: Record<string, string>, body: object) =>
        api(`/api/runs/${runId}/approvals`, { method: "POST", headers, body });

      // 1. Rejected: the job fails with GitHub's message and who rejected; the job that needs it never runs.
      await environment(store, repository.id, "staging", { reviewers: [{ type: "user", name: "bob" }] });
      const rejectedRun = await pushBranch(fixture, "rejected");
      await fixture.waitForPendingGate(rejectedRun, bob);
      const rejection = await decide(rejectedRun, bob, {
        decision: "rejected",
        comment: "not during the freeze",
      });
      assert.equal(rejection.status, 201, JSON.stringify(rejection.body));
      await fixture.idle();
      assert.deepEqual(await conclusionOf(fixture, rejectedRun), {
        run: "failure",
        jobs: { deploy: "failure", after: "skipped" },
      });
      const refused = (await runEvents(server, rejectedRun)).find((e) => e.action === "deployment:refused");
      assert.equal(
        refused?.payload["reason"],
        "The deployment was rejected or didn't satisfy other protection rules. Rejected by bob: not during the freeze",
      );
      assert.ok(
        !(await runEvents(server, rejectedRun)).some((e) => e.action === "job:queued"),
        "nothing was queued",
      );

      // 2. Quorum: two approvals from distinct reviewers, one of them a member of a group, by `hangar approve`.
      const group = await runHangar(["group", "add", "ops", "--users", "dave,erin", ...location]);
      assert.equal(group.code, 0, group.stderr);
      const added = await runHangar([
        "env",
        "add",
        repository.name,
        "quorum",
        "--reviewers",
        "bob,carol,group:ops",
        "--required",
        "2",
        ...location,
      ]);
      assert.equal(added.code, 0, added.stderr);
      const tooMany = await runHangar([
        "env",
        "add",
        repository.name,
        "other",
        "--reviewers",
        "a,b,c,d,e,f,g",
        ...location,
      ]);
      assert.equal(tooMany.code, 2);
      assert.match(tooMany.stderr, /reviewers: at most 6 reviewers, got 7/);
      const quorumRun = await pushBranch(fixture, "quorum");
      await fixture.waitForPendingGate(quorumRun, bob);
      assert.equal((await decide(quorumRun, bob, { decision: "approved" })).status, 201);
      assert.equal((await decide(quorumRun, bob, { decision: "approved", comment: "again" })).status, 201);
      const stillPending = await fixture.waitForPendingGate(quorumRun, bob);
      assert.deepEqual(stillPending[0]?.waitingFor, ["reviewers"], "one reviewer twice is one approval");
      const outsider = await fixture.token({ user: "mallory", role: "approver", environments: ["quorum"] });
      const notReviewer = await decide(quorumRun, outsider, { decision: "approved" });
      assert.deepEqual([notReviewer.status, notReviewer.body["code"]], [403, "APPROVAL_NOT_A_REVIEWER"]);
      const outOfScope = await fixture.token({ user: "dave", role: "approver", environments: ["staging"] });
      const scoped = await decide(quorumRun, outOfScope, { decision: "approved" });
      assert.deepEqual([scoped.status, scoped.body["code"]], [403, "APPROVAL_NOT_ALLOWED"]);
      const dave = await fixture.token({ user: "dave", role: "approver", environments: ["quorum"] });
      const byCli = await runHangar(
        ["approve", String(quorumRun), "--job", "deploy", "--comment", "second pair of eyes"],
        { env: { HANGAR_URL: server.url, HANGAR_TOKEN: dave["authorization"]!.slice("Bearer ".length) } },
      );
      assert.equal(byCli.code, 0, byCli.stderr);
      assert.match(byCli.stdout, /approved deploy \(quorum\) by dave/);
      await fixture.idle();
      assert.deepEqual(await conclusionOf(fixture, quorumRun), {
        run: "success",
        jobs: { deploy: "success", after: "success" },
      });

      // 3. Wait timer: the gate counts from when the job reached it; moving that back 2 minutes passes a 1-minute timer.
      await environment(store, repository.id, "timed", { waitTimer: 1 });
      const timerRun = await pushBranch(fixture, "timer");
      const [timerGate] = await fixture.waitForPendingGate(timerRun, bob);
      assert.deepEqual(timerGate?.waitingFor, ["wait_timer"]);
      const noReviewers = await decide(timerRun, bob, { decision: "approved" });
      assert.deepEqual([noReviewers.status, noReviewers.body["code"]], [409, "APPROVAL_NO_REVIEWERS"]);
      const twoMinutesAgo = new Date(Date.parse(timerGate!.since) - 120_000).toISOString();
      await store.db
        .updateTable("job_waits")
        .set({ since: dialect === "postgres" ? sql<string>`${twoMinutesAgo}::timestamptz` : twoMinutesAgo })
        .where("run_id", "=", timerRun)
        .execute();
      await fixture.idle();
      assert.equal((await conclusionOf(fixture, timerRun)).run, "success");

      // 4. Branch policy: only main may deploy to main-only; a push to `feature` fails at once, unreviewed.
      await environment(store, repository.id, "main-only", {
        reviewers: [{ type: "user", name: "bob" }],
        branchPolicy: "custom",
        branchPatterns: ["main"],
      });
      const featureRun = await pushBranch(fixture, "feature");
      await fixture.idle();
      assert.equal((await conclusionOf(fixture, featureRun)).run, "failure");
      const policy = (await runEvents(server, featureRun)).find((e) => e.action === "deployment:refused");
      assert.equal(
        policy?.payload["reason"],
        'Branch "feature" is not allowed to deploy to main-only due to environment protection rules.',
      );

      // 5. Bypass: an approver may not, an admin may; the bypass is its own recorded decision.
      await environment(store, repository.id, "locked", { reviewers: [{ type: "user", name: "bob" }] });
      const bypassRun = await pushBranch(fixture, "bypass");
      await fixture.waitForPendingGate(bypassRun, bob);
      const approverBypass = await decide(bypassRun, bob, { decision: "approved", bypass: true });
      assert.deepEqual(
        [approverBypass.status, approverBypass.body["code"]],
        [403, "APPROVAL_BYPASS_NOT_ALLOWED"],
      );
      const bypassed = await decide(bypassRun, admin, {
        decision: "approved",
        bypass: true,
        comment: "incident 42",
      });
      assert.equal(bypassed.status, 201, JSON.stringify(bypassed.body));
      await fixture.idle();
      assert.equal((await conclusionOf(fixture, bypassRun)).run, "success");
      const bypassEvent = (await runEvents(server, bypassRun)).find(
        (e) => e.action === "environment:bypassed",
      );
      assert.deepEqual([bypassEvent?.actor, bypassEvent?.payload["comment"]], ["root", "incident 42"]);

      // 6. Deployments: one per job that ran in an environment, url from its step output; the CLI lists them.
      const listed = await runHangar(["deployments", repository.name, "--json", ...location]);
      assert.equal(listed.code, 0, listed.stderr);
      const deployments = (
        JSON.parse(listed.stdout) as { deployments: { environment: string; url: string; runId: number }[] }
      ).deployments;
      assert.deepEqual(
        deployments.map((d) => [d.environment, d.url]),
        [
          ["locked", `https://locked.example.test/${bypassRun}`],
          ["timed", `https://timed.example.test/${timerRun}`],
          ["quorum", `https://quorum.example.test/${quorumRun}`],
        ],
      );
      const table = await runHangar(["deployments", repository.name, "quorum", ...location]);
      assert.match(
        table.stdout,
        new RegExp(`quorum +quorum +\\w+ +${quorumRun}#1 +deploy +success +https://quorum`),
      );
      const envs = await api(`/api/repositories/${repository.name}/environments`, { headers: bob });
      assert.deepEqual(
        (envs.body["environments"] as { name: string; reviewers: string[] }[]).map((e) => [
          e.name,
          e.reviewers.join(),
        ]),
        [
          ["locked", "bob"],
          ["main-only", "bob"],
          ["quorum", "bob,carol,group:ops"],
          ["staging", "bob"],
          ["timed", ""],
        ],
      );
      const viewerPut = await api(`/api/repositories/${repository.name}/environments/timed`, {
        method: "PUT",
        headers: bob,
        body: { waitTimer: 5 },
      });
      assert.equal(viewerPut.status, 403);
      const badPut = await api(`/api/repositories/${repository.name}/environments/timed`, {
        method: "PUT",
        headers: admin,
        body: { branchPolicy: "custom" },
      });
      assert.deepEqual([badPut.status, badPut.body["code"]], [422, "ENVIRONMENT_INVALID"]);
      assert.match(String(badPut.body["message"]), /branch_patterns/);
    });
  });
}
