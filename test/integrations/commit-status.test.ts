// Tests commit status reporting through @octokit/rest against the fake GitHub server on loopback.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  createCommitStatusReporter,
  createGitHubClient,
  GitHubError,
} from "../../src/integrations/github/index.js";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";

const sha = "0123456789abcdef0123456789abcdef01234567";
let github: FakeGitHub;

before(async () => {
  github = await startFakeGitHub({ token: "ghs_test_token", repositories: ["octo-org/octo-repo"] });
});
after(() => github.close());

const reporter = (token: string, baseUrl = github.url) =>
  createCommitStatusReporter(createGitHubClient({ baseUrl, token }));

test("reports each state with the job's context, description and target URL", async () => {
  const report = reporter("ghs_test_token");
  const first = await report({
    owner: "octo-org",
    repo: "octo-repo",
    sha,
    state: "pending",
    workflow: "CI",
    job: "build",
    description: "queued",
    targetUrl: "https://hangar.example.com/runs/1",
  });
  const second = await report({
    owner: "octo-org",
    repo: "octo-repo",
    sha,
    state: "success",
    workflow: "CI",
    job: "build",
  });
  assert.notEqual(first.id, second.id);

  const [pending, success] = github.statuses;
  assert.equal(github.statuses.length, 2);
  assert.deepEqual(
    { ...pending, body: pending!.body },
    {
      owner: "octo-org",
      repo: "octo-repo",
      sha,
      authorization: "token ghs_test_token",
      body: {
        state: "pending",
        context: "hangar/CI/build",
        description: "queued",
        target_url: "https://hangar.example.com/runs/1",
      },
    },
  );
  assert.deepEqual(success!.body, { state: "success", context: "hangar/CI/build" });
});

test("a description over GitHub's 140 characters is shortened rather than refused", async () => {
  const report = reporter("ghs_test_token", `${github.url}/`);
  await report({
    owner: "octo-org",
    repo: "octo-repo",
    sha,
    state: "failure",
    workflow: "CI",
    job: "test (ubuntu, 20)",
    description: "x".repeat(300),
  });
  const recorded = github.statuses.at(-1)!.body;
  assert.equal((recorded["description"] as string).length, 140);
  assert.equal(recorded["context"], "hangar/CI/test (ubuntu, 20)");
});

test("a refused request fails with GITHUB_STATUS_FAILED and GitHub's HTTP status", async () => {
  const wrongToken = reporter("wrong");
  const status = {
    owner: "octo-org",
    repo: "octo-repo",
    sha,
    state: "error",
    workflow: "CI",
    job: "build",
  } as const;
  await assert.rejects(wrongToken(status), (error: unknown) => {
    assert.ok(error instanceof GitHubError);
    assert.equal(error.code, "GITHUB_STATUS_FAILED");
    assert.equal(error.httpStatus, 401);
    return true;
  });
  const report = reporter("ghs_test_token");
  await assert.rejects(report({ ...status, repo: "missing" }), {
    code: "GITHUB_STATUS_FAILED",
    httpStatus: 404,
  });
});
