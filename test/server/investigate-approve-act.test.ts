// Issue 5's "Done when": investigate → approve → act against a protected `production` environment. The push is by
// alice; alice's own approval is refused (prevent_self_review); bob, an approver for production, approves with a
// comment; act runs with production's secret and records a deployment whose url comes from a step output; the run
// succeeds; and the run's events, in order, tell the whole story (printed as the test's diagnostic).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { saveEnvironment } from "../../src/store/index.js";
import { DIALECTS } from "../store/test-stores.js";
import { runEvents, startGateFixture, type EventRow } from "./gate-fixture.js";

const deployToken = "prod-deploy-token-7f3a9c";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const workflow = `on: push
jobs:
  investigate:
    runs-on: self-hosted
    outputs:
      drift: \${{ steps.read.outputs.drift }}
    steps:
      - id: read
        run: echo "drift=3 resources" >> "$GITHUB_OUTPUT"
  act:
    needs: investigate
    runs-on: self-hosted
    environment:
      name: production
      url: \${{ steps.apply.outputs.url }}
    steps:
      - id: apply
        env:
          TOKEN: \${{ secrets.DEPLOY_TOKEN }}
        run: |
          test "\${{ needs.investigate.outputs.drift }}" = "3 resources"
          test "$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" = "${sha256(deployToken)}"
          echo "url=https://prod.example.test/\${{ github.run_id }}" >> "$GITHUB_OUTPUT"
  report:
    needs: [investigate, act]
    runs-on: self-hosted
    steps:
      - run: echo "applied \${{ needs.investigate.outputs.drift }}"
`;

/** One line per event, in the words of the story. */
function tell(event: EventRow): string {
  const job = (event.payload["job"] as { key?: string } | string | undefined) ?? "";
  const jobName = typeof job === "string" ? job : (job.key ?? "");
  const step = (event.payload["step"] as { name?: string } | undefined)?.name;
  const who = event.actor ? ` by ${event.actor}` : "";
  const comment = event.payload["comment"] ? ` ("${String(event.payload["comment"])}")` : "";
  const reason = event.payload["code"] ? ` [${String(event.payload["code"])}]` : "";
  const url = event.payload["url"] ? ` ${String(event.payload["url"])}` : "";
  const conclusion = event.payload["conclusion"] ? ` → ${String(event.payload["conclusion"])}` : "";
  return `${event.action} ${jobName}${step ? ` / ${step}` : ""}${who}${comment}${reason}${url}${conclusion}`
    .replace(/ +/g, " ")
    .trim();
}

for (const dialect of DIALECTS) {
  describe(`investigate → approve → act (${dialect})`, () => {
    test("a second user approves production; the run's events tell the whole story", async (t) => {
      const fixture = await startGateFixture(t, dialect, { ".github/workflows/ops.yml": workflow });
      const { server, repository, api } = fixture;
      await saveEnvironment(server.store, {
        repositoryId: repository.id,
        name: "production",
        rules: {
          reviewers: [
            { type: "user", name: "alice" },
            { type: "user", name: "bob" },
          ],
          preventSelfReview: true,
        },
        actor: "test",
        mode: "create",
      });
      const admin = await fixture.token({ user: "root", role: "admin" });
      const secretSet = await api(
        `/api/repositories/${repository.name}/secrets/DEPLOY_TOKEN?environment=production`,
        {
          method: "PUT",
          headers: admin,
          body: { value: deployToken },
        },
      );
      assert.equal(secretSet.status, 200, JSON.stringify(secretSet.body));
      const alice = await fixture.token({ user: "alice", role: "approver", environments: ["production"] });
      const bob = await fixture.token({ user: "bob", role: "approver", environments: ["production"] });

      const [runId] = await fixture.push("alice");
      const pending = await fixture.waitForPendingGate(runId!, bob);
      assert.deepEqual(
        pending.map((gate) => [gate.key, gate.environment, gate.waitingFor]),
        [["act", "production", ["reviewers"]]],
      );
      const shown = (await api(`/api/runs/${runId}`, { headers: bob })).body as {
        waitingJobs: { key: string; waiting: { reason: string; message: string } }[];
      };
      const actWait = shown.waitingJobs.find((job) => job.key === "act")?.waiting;
      assert.equal(actWait?.reason, "approval");
      assert.equal(actWait?.message, "waiting for environment 'production': a reviewer's approval");

      // 1. alice pushed: her approval is refused, and the job keeps waiting.
      const selfReview = await api(`/api/runs/${runId}/approvals`, {
        method: "POST",
        headers: alice,
        body: { decision: "approved", comment: "lgtm" },
      });
      assert.equal(selfReview.status, 403);
      assert.equal(selfReview.body["code"], "APPROVAL_SELF_REVIEW");
      assert.match(String(selfReview.body["message"]), /alice triggered run \d+ .*prevents self-review/);
      assert.equal((await fixture.waitForPendingGate(runId!, bob)).length, 1);

      // 2. bob approves with a comment: act runs, then report.
      const approved = await api(`/api/runs/${runId}/approvals`, {
        method: "POST",
        headers: bob,
        body: { decision: "approved", comment: "drift confirmed, applying" },
      });
      assert.equal(approved.status, 201, JSON.stringify(approved.body));
      await fixture.idle();

      const finished = (await api(`/api/runs/${runId}`, { headers: bob })).body as {
        run: { conclusion: string };
        jobs: { key: string; conclusion: string }[];
      };
      assert.equal(finished.run.conclusion, "success");
      assert.deepEqual(finished.jobs.map((job) => [job.key, job.conclusion]).sort(), [
        ["act", "success"],
        ["investigate", "success"],
        ["report", "success"],
      ]);
      const deployments = (
        await api(`/api/repositories/${repository.name}/deployments?environment=production`, { headers: bob })
      ).body["deployments"] as { status: string; url: string; runId: number; jobKey: string }[];
      assert.deepEqual(
        deployments.map((d) => [d.runId, d.jobKey, d.status, d.url]),
        [[runId, "act", "success", `https://prod.example.test/${runId}`]],
      );
      const decisions = (await api(`/api/runs/${runId}/approvals`, { headers: bob })).body["decisions"] as {
        actor: string;
        decision: string;
        comment: string;
      }[];
      assert.deepEqual(
        decisions.map((d) => [d.actor, d.decision, d.comment]),
        [["bob", "approved", "drift confirmed, applying"]],
      );

      // 3. The run's events read as a complete story, in order.
      const events = await runEvents(server, runId!);
      const story = events.map(tell);
      t.diagnostic(`the story of run ${runId}:`);
      for (const line of story) t.diagnostic(`  ${line}`);
      const milestones: [string, (event: EventRow) => boolean][] = [
        ["alice's push delivered", (e) => e.action === "delivery:received" && e.actor === "github"],
        ["run queued", (e) => e.action === "run:queued"],
        ["the delivery started the run", (e) => e.action === "delivery:handled"],
        ["investigate started", (e) => e.action === "job:started" && jobKey(e) === "investigate"],
        ["investigate finished", (e) => e.action === "job:finished" && jobKey(e) === "investigate"],
        ["act waiting for approval", (e) => e.action === "approval:requested" && jobKey(e) === "act"],
        ["alice refused", (e) => e.action === "approval:refused" && e.actor === "alice"],
        [
          "bob approved",
          (e) => e.action === "approval:granted" && e.actor === "bob" && e.payload["comment"] !== "",
        ],
        ["act started", (e) => e.action === "job:started" && jobKey(e) === "act"],
        ["act finished", (e) => e.action === "job:finished" && jobKey(e) === "act"],
        ["deployment created", (e) => e.action === "deployment:created" && jobKey(e) === "act"],
        ["report finished", (e) => e.action === "job:finished" && jobKey(e) === "report"],
        ["run completed", (e) => e.action === "run:finished" && e.payload["conclusion"] === "success"],
      ];
      let at = -1;
      for (const [name, matches] of milestones) {
        const found = events.findIndex((event, index) => index > at && matches(event));
        assert.ok(found > at, `the story lacks "${name}" after event ${at}:\n${story.join("\n")}`);
        at = found;
      }
      assert.equal(events[0]?.action, "delivery:received", "the push delivery opens the story");

      // 4. The whole trail, this story included, verifies as one unbroken chain.
      const verified = await api("/api/audit/verify", {
        headers: await fixture.token({ user: "auditor", role: "admin" }),
      });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.equal(verified.body["isIntact"], true, JSON.stringify(verified.body));
    });
  });
}

function jobKey(event: EventRow): string {
  const job = event.payload["job"];
  return typeof job === "string" ? job : ((job as { key?: string } | undefined)?.key ?? "");
}
