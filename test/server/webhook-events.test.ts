// hangar serve end to end for the events besides push, workflow_dispatch and schedule: signed webhooks for
// pull_request, pull_request_target, repository_dispatch, issue_comment and release start exactly the workflows
// GitHub would, at the GITHUB_REF and GITHUB_SHA its docs give, with the delivered payload as the event file.
// Event planning touches no dialect-specific store code, so these run on SQLite only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";
import { createTestDatabase } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { deliverWebhook } from "../support/deliveries.js";
import { makeGitRepo } from "../support/git-repo.js";
import { makePullRequest, type PullRequest } from "../support/pull-request.js";

const secret = "webhook-secret-e41a";
const fullName = "octo-org/events";
const repository = { full_name: fullName, name: "events", owner: { login: "octo-org" } };
const sender = { login: "octocat" };

/** A job that hands back what it saw: GITHUB_REF, GITHUB_SHA, the event name and fields of the event file. */
function reportingWorkflow(on: string, version = "base"): string {
  return `on:
${on}
jobs:
  report:
    runs-on: ubuntu-latest
    outputs:
      ref: \${{ steps.read.outputs.ref }}
      sha: \${{ steps.read.outputs.sha }}
      event: \${{ steps.read.outputs.event }}
      payload: \${{ steps.read.outputs.payload }}
      version: ${version}
    steps:
      - id: read
        run: |
          echo "ref=$GITHUB_REF" >> "$GITHUB_OUTPUT"
          echo "sha=$GITHUB_SHA" >> "$GITHUB_OUTPUT"
          echo "event=$GITHUB_EVENT_NAME" >> "$GITHUB_OUTPUT"
          node -e '
            const e = JSON.parse(require("fs").readFileSync(process.env.GITHUB_EVENT_PATH, "utf8"));
            const detail = e.client_payload?.stage ?? e.comment?.body ?? e.release?.tag_name ?? e.pull_request?.number;
            require("fs").appendFileSync(process.env.GITHUB_OUTPUT, "payload=" + e.action + "/" + detail + "\\n");
          '
`;
}

const workflows: Record<string, string> = {
  ".github/workflows/pr.yml": reportingWorkflow(
    "  pull_request:\n    types: [opened, synchronize]\n    branches: [main]\n    paths: ['src/**']",
  ),
  ".github/workflows/pr-docs.yml": reportingWorkflow("  pull_request:\n    paths: ['docs/**']"),
  ".github/workflows/pr-labeled.yml": reportingWorkflow("  pull_request:\n    types: [labeled]"),
  ".github/workflows/pr-release-branch.yml": reportingWorkflow("  pull_request:\n    branches: [release]"),
  ".github/workflows/target.yml": reportingWorkflow("  pull_request_target:"),
  ".github/workflows/dispatch.yml": reportingWorkflow("  repository_dispatch:\n    types: [deploy]"),
  ".github/workflows/comment.yml": reportingWorkflow("  issue_comment:\n    types: [created]"),
  ".github/workflows/release.yml": reportingWorkflow("  release:\n    types: [published]"),
  ".github/workflows/push.yml": reportingWorkflow("  push:"),
};

interface RanWorkflow {
  file: string;
  ref: string;
  sha: string;
  conclusion: string;
  outputs: Record<string, string>;
}

let repo: string;
let server: RunningServer;
let taggedSha: string;
let mainSha: string;
let pr: PullRequest;
let viewer: string;

before(async () => {
  repo = await makeGitRepo({ ...workflows, "README.md": "events\n" });
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, ...args])
      .toString()
      .trim();
  git("tag", "-a", "v1.0.0", "-m", "first release");
  taggedSha = git("rev-parse", "HEAD");
  // main moves on after the tag, so a release run's commit is not the default branch's head.
  await writeFile(path.join(repo, "README.md"), "events, later\n");
  git("commit", "-q", "-am", "later");
  mainSha = git("rev-parse", "HEAD");
  // The pull request also edits target.yml: pull_request_target must still run the base branch's version.
  pr = await makePullRequest(repo, {
    number: 7,
    files: {
      "src/app.txt": "a change\n",
      ".github/workflows/target.yml": reportingWorkflow("  pull_request_target:", "from-the-pull-request"),
    },
  });
  const database = await createTestDatabase("sqlite");
  server = await startServer({
    dataDir: database.options.dataDir,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: ["ubuntu-latest"],
  });
  await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret: secret });
  viewer = await createApiToken(server.store, { role: "viewer" });
});

after(async () => {
  await server?.close();
  if (repo) await rm(repo, { recursive: true, force: true });
});

/** Delivers one signed event and returns the workflows it ran, sorted by file, once they have finished. */
async function deliver(event: string, payload: Record<string, unknown>): Promise<RanWorkflow[]> {
  const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
    event,
    secret,
    payload,
  });
  assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
  await server.launcher.idle();
  const ran: RanWorkflow[] = [];
  for (const runId of delivered.taken!.runIds) {
    const response = await fetch(`${server.url}/api/runs/${runId}`, { headers: authHeaders(viewer) });
    const { run, jobs } = (await response.json()) as {
      run: { workflowFile: string; ref: string; sha: string; conclusion: string };
      jobs: { outputs: Record<string, string> | null }[];
    };
    ran.push({
      file: path.basename(run.workflowFile),
      ref: run.ref,
      sha: run.sha,
      conclusion: run.conclusion,
      outputs: jobs[0]?.outputs ?? {},
    });
  }
  return ran.sort((a, b) => a.file.localeCompare(b.file));
}

/** What a run looks like when the job saw the same ref and sha the run was recorded with. */
function expected(file: string, ref: string, sha: string, event: string, payload: string, version = "base") {
  return { file, ref, sha, conclusion: "success", outputs: { ref, sha, event, payload, version } };
}

describe("pull_request", () => {
  test("runs the workflows whose types, base branch and paths match, on the test merge commit", async () => {
    const ran = await deliver("pull_request", pr.payload("opened", fullName));
    assert.deepEqual(ran, [expected("pr.yml", "refs/pull/7/merge", pr.mergeSha, "pull_request", "opened/7")]);
  });

  test("an activity type runs only the workflows that list it", async () => {
    const ran = await deliver("pull_request", { ...pr.payload("labeled", fullName), label: { name: "ok" } });
    assert.deepEqual(ran, [
      expected("pr-labeled.yml", "refs/pull/7/merge", pr.mergeSha, "pull_request", "labeled/7"),
    ]);
  });

  test("without a test merge commit the run is on the pull request's head", async () => {
    const payload = pr.payload("synchronize", fullName);
    (payload["pull_request"] as Record<string, unknown>)["merge_commit_sha"] = null;
    const ran = await deliver("pull_request", payload);
    assert.deepEqual(ran, [
      expected("pr.yml", "refs/pull/7/merge", pr.headSha, "pull_request", "synchronize/7"),
    ]);
  });
});

test("pull_request_target runs the base branch's workflow at the base branch's head", async () => {
  const ran = await deliver("pull_request_target", pr.payload("opened", fullName));
  assert.deepEqual(ran, [
    expected("target.yml", "refs/heads/main", mainSha, "pull_request_target", "opened/7"),
  ]);
});

test("repository_dispatch runs the workflows listing its type, on the default branch", async () => {
  const payload = { action: "deploy", branch: "main", client_payload: { stage: "prod" }, repository, sender };
  assert.deepEqual(await deliver("repository_dispatch", payload), [
    expected("dispatch.yml", "refs/heads/main", mainSha, "repository_dispatch", "deploy/prod"),
  ]);
  assert.deepEqual(await deliver("repository_dispatch", { ...payload, action: "rollback" }), []);
});

test("issue_comment runs on the default branch's head, for the listed types only", async () => {
  const payload = {
    action: "created",
    issue: { number: 3, title: "a question" },
    comment: { id: 9, body: "hello" },
    repository,
    sender,
  };
  assert.deepEqual(await deliver("issue_comment", payload), [
    expected("comment.yml", "refs/heads/main", mainSha, "issue_comment", "created/hello"),
  ]);
  assert.deepEqual(await deliver("issue_comment", { ...payload, action: "deleted" }), []);
});

test("release runs on the release's tag and the commit it tags", async () => {
  const release = { tag_name: "v1.0.0", draft: false, prerelease: false };
  assert.deepEqual(await deliver("release", { action: "published", release, repository, sender }), [
    expected("release.yml", "refs/tags/v1.0.0", taggedSha, "release", "published/v1.0.0"),
  ]);
  assert.deepEqual(
    await deliver("release", { action: "created", release: { ...release, draft: true }, repository, sender }),
    [],
  );
});
