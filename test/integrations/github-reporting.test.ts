// Tests GitHub App authentication, check runs and pull request comments through @octokit/rest against the fake GitHub.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createCheckRunReporter,
  createCommentUpserter,
  createCommitStatusReporter,
  createGitHubClient,
  type GitHubClient,
} from "../../src/integrations/github/index.js";
import { generateAppKey, startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";

const sha = "0123456789abcdef0123456789abcdef01234567";
const appKey = generateAppKey();
const installations: Record<string, number> = { "octo-org/octo-repo": 41, "octo-org/other": 42 };
let github: FakeGitHub;
let appClient: GitHubClient;

before(async () => {
  github = await startFakeGitHub({
    token: "ghp_plain_token",
    app: { id: 7, publicKey: appKey.publicKey, installations },
    repositories: ["octo-org/octo-repo", "octo-org/other", "octo-org/later"],
  });
  appClient = createGitHubClient({ baseUrl: github.url, appId: "7", privateKey: appKey.privateKey });
});
after(() => github.close());

const callsTo = (pattern: RegExp) => github.requests.filter((r) => pattern.test(`${r.method} ${r.path}`));

describe("as a GitHub App", () => {
  test("finds each repository's installation once and reuses the installation's token", async () => {
    const report = createCommitStatusReporter(appClient);
    const status = { sha, state: "success", workflow: "ci", job: "build" } as const;
    await report({ ...status, owner: "octo-org", repo: "octo-repo" });
    await report({ ...status, owner: "octo-org", repo: "octo-repo" });
    await report({ ...status, owner: "octo-org", repo: "other" });

    assert.deepEqual(
      callsTo(/installation/).map((r) => `${r.method} ${r.path} ${r.status}`),
      [
        "GET /repos/octo-org/octo-repo/installation 200",
        "POST /app/installations/41/access_tokens 201",
        "GET /repos/octo-org/other/installation 200",
        "POST /app/installations/42/access_tokens 201",
      ],
    );
    // The fake answered 200/201 only to a JWT signed with the App's key; statuses carry installation tokens.
    assert.ok(callsTo(/installation/).every((r) => /^bearer ey/.test(r.authorization ?? "")));
    assert.deepEqual(
      github.statuses.slice(-3).map((s) => /^token ghs_installation_(\d+)_/.exec(s.authorization ?? "")?.[1]),
      ["41", "41", "42"],
    );
  });

  test("a repository without the App fails with GITHUB_APP_NOT_INSTALLED until the App is installed", async () => {
    const report = createCommitStatusReporter(appClient);
    const status = {
      owner: "octo-org",
      repo: "later",
      sha,
      state: "pending",
      workflow: "ci",
      job: "b",
    } as const;
    await assert.rejects(report(status), { code: "GITHUB_APP_NOT_INSTALLED", httpStatus: 404 });
    installations["octo-org/later"] = 43;
    await report(status);
    assert.match(github.statuses.at(-1)!.authorization ?? "", /^token ghs_installation_43_/);
  });

  test("a key GitHub does not know is refused with GITHUB_APP_NOT_INSTALLED and 401", async () => {
    const stranger = createGitHubClient({
      baseUrl: github.url,
      appId: "7",
      privateKey: generateAppKey().privateKey,
    });
    await assert.rejects(
      createCommitStatusReporter(stranger)({
        owner: "octo-org",
        repo: "octo-repo",
        sha,
        state: "error",
        workflow: "ci",
        job: "build",
      }),
      { code: "GITHUB_APP_NOT_INSTALLED", httpStatus: 401 },
    );
  });
});

describe("check runs", () => {
  test("are created in progress, then completed with a conclusion and a summary", async () => {
    const checks = createCheckRunReporter(appClient);
    const startedAt = new Date("2024-05-01T10:00:00Z");
    const { id } = await checks.create({
      owner: "octo-org",
      repo: "octo-repo",
      sha,
      name: "hangar/ci/build",
      startedAt,
      detailsUrl: "http://hangar.example/api/runs/1",
      externalId: "1/1/build",
    });
    const created = github.checkRuns.find((c) => c.id === id)!;
    assert.deepEqual(
      [created.status, created.head_sha, created.details_url, created.external_id, created.started_at],
      ["in_progress", sha, "http://hangar.example/api/runs/1", "1/1/build", startedAt.toISOString()],
    );
    await checks.complete(
      { owner: "octo-org", repo: "octo-repo", id },
      { conclusion: "failure", completedAt: new Date(), title: "failure in 3s", summary: "exit code 1" },
    );
    assert.deepEqual(
      [created.status, created.conclusion, created.output],
      ["completed", "failure", { title: "failure in 3s", summary: "exit code 1" }],
    );
  });

  test("a job that never started gets one completed check run", async () => {
    const checks = createCheckRunReporter(appClient);
    const completion = {
      conclusion: "skipped",
      completedAt: new Date(),
      title: "skipped",
      summary: "-",
    } as const;
    const { id } = await checks.create({
      owner: "octo-org",
      repo: "octo-repo",
      sha,
      name: "hangar/ci/deploy",
      startedAt: new Date(),
      completion,
    });
    const created = github.checkRuns.find((c) => c.id === id)!;
    assert.deepEqual([created.status, created.conclusion], ["completed", "skipped"]);
    assert.equal(callsTo(new RegExp(`PATCH .*/check-runs/${id}$`)).length, 0);
  });

  test("a token that is not an App's is refused with GITHUB_CHECK_RUN_FAILED and 403", async () => {
    const checks = createCheckRunReporter(
      createGitHubClient({ baseUrl: github.url, token: "ghp_plain_token" }),
    );
    await assert.rejects(
      checks.create({ owner: "octo-org", repo: "octo-repo", sha, name: "x", startedAt: new Date() }),
      { code: "GITHUB_CHECK_RUN_FAILED", httpStatus: 403 },
    );
  });
});

test("a marked comment is created once, then found past the first page and updated in place", async () => {
  const upsert = createCommentUpserter(createGitHubClient({ baseUrl: github.url, token: "ghp_plain_token" }));
  // Other people's comments fill more than one page of 100 before ours.
  for (let i = 0; i < 150; i++)
    github.comments.push({
      id: 10_000 + i,
      owner: "octo-org",
      repo: "octo-repo",
      issueNumber: 5,
      body: `hi ${i}`,
    });
  const target = { owner: "octo-org", repo: "octo-repo", issueNumber: 5 };
  const first = await upsert({ ...target, marker: "hangar run 1", body: "attempt 1" });
  const second = await upsert({ ...target, marker: "hangar run 1", body: "attempt 2" });
  const other = await upsert({ ...target, marker: "hangar run 12", body: "another run" });

  assert.deepEqual([first.created, second.created, second.id, other.created], [true, false, first.id, true]);
  const ours = github.comments.filter((c) => c.body.startsWith("<!-- hangar run"));
  assert.deepEqual(
    ours.map((c) => c.body),
    ["<!-- hangar run 1 -->\nattempt 2", "<!-- hangar run 12 -->\nanother run"],
  );
  assert.equal(github.comments.length, 152);
});
