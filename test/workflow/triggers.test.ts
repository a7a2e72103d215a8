// Tests event matching against `on` sections converted by GitHub's own workflow parser.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import type { EventsConfig } from "@actions/workflow-parser/model/workflow-template";
import { defaultActivityTypes, matchEvent } from "../../src/workflow/triggers/index.js";
import type { TriggerEvent } from "../../src/workflow/triggers/index.js";

/** Parses `on` (YAML for the value of the `on` key) the way hangar loads workflows. */
async function parseOn(on: string): Promise<EventsConfig> {
  const indented = on
    .trim()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
  const content = `on:\n${indented}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`;
  const parsed = parseWorkflow({ name: "trigger.yml", content }, new NoOperationTraceWriter());
  assert.deepEqual(
    parsed.context.errors.getErrors().map((error) => error.message),
    [],
    `workflow parser rejected:\n${content}`,
  );
  assert.ok(parsed.value);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return template.events;
}

function push(ref: string, changedFiles?: string[]): TriggerEvent {
  return { name: "push", payload: { ref }, changedFiles };
}

function pullRequest(
  action: string,
  base: string,
  changedFiles?: string[],
  name = "pull_request",
): TriggerEvent {
  return { name, payload: { action, pull_request: { base: { ref: base } } }, changedFiles };
}

function workflowRun(action: string, workflowName: string, headBranch: string): TriggerEvent {
  return {
    name: "workflow_run",
    payload: { action, workflow_run: { name: workflowName, head_branch: headBranch } },
  };
}

interface Case {
  name: string;
  on: string;
  event: TriggerEvent;
  triggered: boolean;
  reason: string;
}

const cases: Case[] = [
  // Event must be listed in `on`.
  {
    name: "unlisted event",
    on: "push",
    event: { name: "fork", payload: {} },
    triggered: false,
    reason: "event 'fork' is not listed in the workflow's 'on'",
  },
  {
    name: "event listed as a scalar",
    on: "fork",
    event: { name: "fork", payload: {} },
    triggered: true,
    reason: "event 'fork' passes the workflow's 'on' filters",
  },
  {
    name: "event listed in a sequence",
    on: "[push, workflow_dispatch]",
    event: { name: "workflow_dispatch", payload: { inputs: {} } },
    triggered: true,
    reason: "event 'workflow_dispatch' passes the workflow's 'on' filters",
  },

  // push: branches and tags.
  {
    name: "push with no filters runs for a branch",
    on: "push",
    event: push("refs/heads/anything/at/all"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push with no filters runs for a tag",
    on: "push",
    event: push("refs/tags/v1"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push branch matching branches",
    on: "push:\n  branches: [main, 'releases/**']",
    event: push("refs/heads/releases/10"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push branch not matching branches",
    on: "push:\n  branches: [main, 'releases/**']",
    event: push("refs/heads/dev"),
    triggered: false,
    reason: "branch 'dev' does not match the branches filter ['main', 'releases/**']",
  },
  {
    name: "push branch matched by branches-ignore",
    on: "push:\n  branches-ignore: ['mona/octocat', 'releases/**-alpha']",
    event: push("refs/heads/releases/beta/3-alpha"),
    triggered: false,
    reason:
      "branch 'releases/beta/3-alpha' matches the branches-ignore filter ['mona/octocat', 'releases/**-alpha']",
  },
  {
    name: "push branch not matched by branches-ignore",
    on: "push:\n  branches-ignore: ['mona/octocat']",
    event: push("refs/heads/main"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push tag with only branches defined does not run",
    on: "push:\n  branches: ['**']",
    event: push("refs/tags/v1.0.0"),
    triggered: false,
    reason: "push of tag 'v1.0.0' does not run a workflow that filters only branches",
  },
  {
    name: "push tag with only branches-ignore defined does not run",
    on: "push:\n  branches-ignore: [dev]",
    event: push("refs/tags/v1.0.0"),
    triggered: false,
    reason: "push of tag 'v1.0.0' does not run a workflow that filters only branches",
  },
  {
    name: "push branch with only tags defined does not run",
    on: "push:\n  tags: ['v*']",
    event: push("refs/heads/main"),
    triggered: false,
    reason: "push to branch 'main' does not run a workflow that filters only tags",
  },
  {
    name: "push branch with only tags-ignore defined does not run",
    on: "push:\n  tags-ignore: ['v*']",
    event: push("refs/heads/main"),
    triggered: false,
    reason: "push to branch 'main' does not run a workflow that filters only tags",
  },
  {
    name: "push tag matching tags (docs example v1.**)",
    on: "push:\n  tags: [v1.**]",
    event: push("refs/tags/v1.9.2"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push tag not matching tags",
    on: "push:\n  tags: [v1.**]",
    event: push("refs/tags/v2.0.0"),
    triggered: false,
    reason: "tag 'v2.0.0' does not match the tags filter ['v1.**']",
  },
  {
    name: "push tag matched by tags-ignore",
    on: "push:\n  tags-ignore: ['v*-rc*']",
    event: push("refs/tags/v2-rc1"),
    triggered: false,
    reason: "tag 'v2-rc1' matches the tags-ignore filter ['v*-rc*']",
  },
  {
    name: "push with both branch and tag filters: tag side",
    on: "push:\n  branches: [main]\n  tags: ['v*']",
    event: push("refs/tags/v3"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push with both branch and tag filters: branch side",
    on: "push:\n  branches: [main]\n  tags: ['v*']",
    event: push("refs/heads/dev"),
    triggered: false,
    reason: "branch 'dev' does not match the branches filter ['main']",
  },
  {
    name: "push ref that is neither branch nor tag, with filters",
    on: "push:\n  branches: ['**']",
    event: push("refs/notes/commits"),
    triggered: false,
    reason: "push ref 'refs/notes/commits' is neither a branch nor a tag",
  },

  // push: paths.
  {
    name: "push paths: a changed file matches",
    on: "push:\n  paths: ['**.js']",
    event: push("refs/heads/main", ["README.md", "src/app.js"]),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push paths: no changed file matches",
    on: "push:\n  paths: ['**.js']",
    event: push("refs/heads/main", ["README.md", "docs/a.md"]),
    triggered: false,
    reason: "none of the 2 changed files matches the paths filter",
  },
  {
    name: "push paths-ignore: every changed file ignored",
    on: "push:\n  paths-ignore: ['docs/**']",
    event: push("refs/heads/main", ["docs/a.md"]),
    triggered: false,
    reason: "all of the 1 changed file match the paths-ignore filter",
  },
  {
    name: "push paths-ignore: one changed file not ignored",
    on: "push:\n  paths-ignore: ['docs/**']",
    event: push("refs/heads/main", ["docs/a.md", "src/a.ts"]),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push paths with ordered negation (docs: including and excluding paths)",
    on: "push:\n  paths: ['sub-project/**', '!sub-project/docs/**']",
    event: push("refs/heads/main", ["sub-project/docs/readme.md"]),
    triggered: false,
    reason: "none of the 1 changed file matches the paths filter",
  },
  {
    name: "push paths: unknown changed files pass (GitHub runs when it cannot diff)",
    on: "push:\n  paths: ['src/**']",
    event: push("refs/heads/main"),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push paths: no changed files does not run",
    on: "push:\n  paths-ignore: ['docs/**']",
    event: push("refs/heads/main", []),
    triggered: false,
    reason: "no files changed, so the paths filters cannot match",
  },
  {
    name: "push paths are not evaluated for tag pushes",
    on: "push:\n  tags: ['v*']\n  paths: ['src/**']",
    event: push("refs/tags/v1", ["README.md"]),
    triggered: true,
    reason: "event 'push' passes the workflow's 'on' filters",
  },
  {
    name: "push branches and paths must both be satisfied",
    on: "push:\n  branches: ['releases/**']\n  paths: ['**.js']",
    event: push("refs/heads/releases/1", ["README.md"]),
    triggered: false,
    reason: "none of the 1 changed file matches the paths filter",
  },

  // pull_request / pull_request_target.
  {
    name: "pull_request default types include opened",
    on: "pull_request",
    event: pullRequest("opened", "main"),
    triggered: true,
    reason: "event 'pull_request' passes the workflow's 'on' filters",
  },
  {
    name: "pull_request default types include synchronize",
    on: "pull_request",
    event: pullRequest("synchronize", "main"),
    triggered: true,
    reason: "event 'pull_request' passes the workflow's 'on' filters",
  },
  {
    name: "pull_request default types exclude closed",
    on: "pull_request",
    event: pullRequest("closed", "main"),
    triggered: false,
    reason: "activity type 'closed' is not in the default types ['opened', 'synchronize', 'reopened']",
  },
  {
    name: "pull_request_target default types exclude labeled",
    on: "pull_request_target",
    event: pullRequest("labeled", "main", undefined, "pull_request_target"),
    triggered: false,
    reason: "activity type 'labeled' is not in the default types ['opened', 'synchronize', 'reopened']",
  },
  {
    name: "pull_request explicit types allow closed",
    on: "pull_request:\n  types: [closed]",
    event: pullRequest("closed", "main"),
    triggered: true,
    reason: "event 'pull_request' passes the workflow's 'on' filters",
  },
  {
    name: "pull_request explicit types replace the defaults",
    on: "pull_request:\n  types: [closed]",
    event: pullRequest("opened", "main"),
    triggered: false,
    reason: "activity type 'opened' is not in the types filter ['closed']",
  },
  {
    name: "pull_request branches match the base branch",
    on: "pull_request:\n  branches: ['releases/**']",
    event: pullRequest("opened", "releases/10"),
    triggered: true,
    reason: "event 'pull_request' passes the workflow's 'on' filters",
  },
  {
    name: "pull_request branches do not match the head branch",
    on: "pull_request:\n  branches: ['releases/**']",
    event: {
      name: "pull_request",
      payload: { action: "opened", pull_request: { base: { ref: "main" }, head: { ref: "releases/10" } } },
    },
    triggered: false,
    reason: "base branch 'main' does not match the branches filter ['releases/**']",
  },
  {
    name: "pull_request_target branches-ignore on the base branch",
    on: "pull_request_target:\n  branches-ignore: ['mona/octocat']",
    event: pullRequest("opened", "mona/octocat", undefined, "pull_request_target"),
    triggered: false,
    reason: "base branch 'mona/octocat' matches the branches-ignore filter ['mona/octocat']",
  },
  {
    name: "pull_request paths on the changed files",
    on: "pull_request:\n  types: [opened]\n  branches: ['releases/**']\n  paths: ['**.js']",
    event: pullRequest("opened", "releases/2", ["lib/a.js"]),
    triggered: true,
    reason: "event 'pull_request' passes the workflow's 'on' filters",
  },
  {
    name: "pull_request paths not matched",
    on: "pull_request:\n  paths: ['**.js']",
    event: pullRequest("synchronize", "main", ["lib/a.ts"]),
    triggered: false,
    reason: "none of the 1 changed file matches the paths filter",
  },
  {
    name: "pull_request without a base ref cannot pass a branch filter",
    on: "pull_request:\n  branches: [main]",
    event: { name: "pull_request", payload: { action: "opened" } },
    triggered: false,
    reason: "pull request has no base branch (pull_request.base.ref) to filter on",
  },

  // workflow_run.
  {
    name: "workflow_run named workflow completes",
    on: "workflow_run:\n  workflows: [Run Tests]\n  types: [completed]",
    event: workflowRun("completed", "Run Tests", "main"),
    triggered: true,
    reason: "event 'workflow_run' passes the workflow's 'on' filters",
  },
  {
    name: "workflow_run other workflow",
    on: "workflow_run:\n  workflows: [Staging, Lab]",
    event: workflowRun("completed", "Build", "main"),
    triggered: false,
    reason: "workflow 'Build' does not match the workflows filter ['Staging', 'Lab']",
  },
  {
    name: "workflow_run workflows are patterns",
    on: "workflow_run:\n  workflows: ['Deploy *']",
    event: workflowRun("requested", "Deploy prod", "main"),
    triggered: true,
    reason: "event 'workflow_run' passes the workflow's 'on' filters",
  },
  {
    name: "workflow_run wrong activity type",
    on: "workflow_run:\n  workflows: [Build]\n  types: [requested]",
    event: workflowRun("completed", "Build", "main"),
    triggered: false,
    reason: "activity type 'completed' is not in the types filter ['requested']",
  },
  {
    name: "workflow_run branches (docs: releases/** with !releases/**-alpha)",
    on: "workflow_run:\n  workflows: [Build]\n  types: [requested]\n  branches: ['releases/**', '!releases/**-alpha']",
    event: workflowRun("requested", "Build", "releases/10-alpha"),
    triggered: false,
    reason:
      "branch 'releases/10-alpha' does not match the branches filter ['releases/**', '!releases/**-alpha']",
  },
  {
    name: "workflow_run branches-ignore (docs: canary)",
    on: "workflow_run:\n  workflows: [Build]\n  types: [requested]\n  branches-ignore: [canary]",
    event: workflowRun("requested", "Build", "canary"),
    triggered: false,
    reason: "branch 'canary' matches the branches-ignore filter ['canary']",
  },
  {
    name: "workflow_run branches accepted",
    on: "workflow_run:\n  workflows: [Build]\n  branches: [canary]",
    event: workflowRun("in_progress", "Build", "canary"),
    triggered: true,
    reason: "event 'workflow_run' passes the workflow's 'on' filters",
  },

  // Other events: listed means triggered, subject to types.
  {
    name: "issue_comment defaults to all activity types",
    on: "issue_comment",
    event: { name: "issue_comment", payload: { action: "deleted" } },
    triggered: true,
    reason: "event 'issue_comment' passes the workflow's 'on' filters",
  },
  {
    name: "label types filter (docs: created, edited)",
    on: "label:\n  types: [created, edited]",
    event: { name: "label", payload: { action: "deleted" } },
    triggered: false,
    reason: "activity type 'deleted' is not in the types filter ['created', 'edited']",
  },
  {
    name: "release types filter passes",
    on: "release:\n  types: [published]",
    event: { name: "release", payload: { action: "published", release: { draft: false } } },
    triggered: true,
    reason: "event 'release' passes the workflow's 'on' filters",
  },
  {
    name: "types filter with no activity type in the payload",
    on: "issues:\n  types: [opened]",
    event: { name: "issues", payload: {} },
    triggered: false,
    reason: "'issues' event has no activity type, but the types filter requires one of ['opened']",
  },
  {
    name: "repository_dispatch types match event_type",
    on: "repository_dispatch:\n  types: [test_result]",
    event: { name: "repository_dispatch", payload: { event_type: "test_result", client_payload: {} } },
    triggered: true,
    reason: "event 'repository_dispatch' passes the workflow's 'on' filters",
  },
  {
    name: "repository_dispatch other event_type",
    on: "repository_dispatch:\n  types: [test_result]",
    event: { name: "repository_dispatch", payload: { action: "deploy" } },
    triggered: false,
    reason: "activity type 'deploy' is not in the types filter ['test_result']",
  },
  {
    name: "deployment_status inactive never triggers",
    on: "deployment_status",
    event: { name: "deployment_status", payload: { deployment_status: { state: "inactive" } } },
    triggered: false,
    reason: "deployment_status events with state 'inactive' never trigger workflows",
  },
  {
    name: "deployment_status success triggers",
    on: "deployment_status",
    event: { name: "deployment_status", payload: { deployment_status: { state: "success" } } },
    triggered: true,
    reason: "event 'deployment_status' passes the workflow's 'on' filters",
  },
  {
    name: "draft release edits never trigger",
    on: "release",
    event: { name: "release", payload: { action: "edited", release: { draft: true } } },
    triggered: false,
    reason: "created, edited and deleted activity on draft releases never triggers workflows",
  },
  {
    name: "draft release publication triggers",
    on: "release",
    event: { name: "release", payload: { action: "published", release: { draft: true } } },
    triggered: true,
    reason: "event 'release' passes the workflow's 'on' filters",
  },
  {
    name: "schedule for one of the workflow's crons",
    on: "schedule:\n  - cron: '30 5 * * 1,3'\n  - cron: '30 5 * * 2,4'",
    event: { name: "schedule", payload: { schedule: "30 5 * * 2,4" } },
    triggered: true,
    reason: "schedule '30 5 * * 2,4' is one of the workflow's cron entries",
  },
  {
    name: "schedule for another cron",
    on: "schedule:\n  - cron: '30 5 * * 1,3'",
    event: { name: "schedule", payload: { schedule: "0 0 * * *" } },
    triggered: false,
    reason: "schedule '0 0 * * *' is not one of the workflow's cron entries",
  },
];

describe("matchEvent", () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const events = await parseOn(testCase.on);
      assert.deepEqual(matchEvent(events, testCase.event), {
        triggered: testCase.triggered,
        reason: testCase.reason,
      });
    });
  }
});

describe("defaultActivityTypes", () => {
  it("lists GitHub's documented defaults for pull_request and pull_request_target only", () => {
    assert.deepEqual(defaultActivityTypes, {
      pull_request: ["opened", "synchronize", "reopened"],
      pull_request_target: ["opened", "synchronize", "reopened"],
    });
  });
});
