// The event payload of a local run without `-e`: GitHub's webhook shape (docs "Webhook events and payloads"), filled
// from git, so that activity types, branch filters and the github context see what GitHub would send.
import type { EventsConfig } from "@actions/workflow-parser/model/workflow-template";
import type { ExpressionValue } from "../workflow/index.js";
import type { GitInfo } from "./git-info.js";

type Payload = Record<string, ExpressionValue>;

/**
 * The activity type a generated payload carries: the one GitHub sends when the thing is first made (a pull request
 * opened, a comment created, a release published, a workflow run completed). Events without `action` are absent.
 */
const generatedActivityTypes: Readonly<Record<string, string>> = {
  pull_request: "opened",
  pull_request_target: "opened",
  pull_request_review: "submitted",
  pull_request_review_comment: "created",
  issue_comment: "created",
  issues: "opened",
  discussion: "created",
  discussion_comment: "created",
  release: "published",
  workflow_run: "completed",
  check_run: "created",
  check_suite: "completed",
  merge_group: "checks_requested",
  label: "created",
  milestone: "created",
  registry_package: "published",
  branch_protection_rule: "created",
  watch: "started",
};

/** The pull request number a local run pretends to be. */
const localPullRequestNumber = 1;

export function generatePayload(eventName: string, git: GitInfo, inputs: Record<string, string>): Payload {
  const branch = git.ref.replace(/^refs\/heads\//, "");
  const owner = { login: git.owner, name: git.owner, type: "User" };
  const repository: Payload = {
    name: git.name,
    full_name: `${git.owner}/${git.name}`,
    owner,
    private: false,
    fork: false,
    default_branch: git.defaultBranch.name,
    html_url: `https://github.com/${git.owner}/${git.name}`,
    clone_url: `https://github.com/${git.owner}/${git.name}.git`,
  };
  const sender = { login: git.actor, type: "User" };
  const user = sender;
  const common = { repository, sender };
  const action = generatedActivityTypes[eventName];
  const withAction: Payload = action ? { action } : {};
  const pullRequest = (): Payload => ({
    number: localPullRequestNumber,
    state: "open",
    title: git.subject,
    user,
    draft: false,
    merged: false,
    // Docs "pull_request" webhook: head is the branch with the changes, base the branch they merge into.
    head: { ref: branch, sha: git.sha, label: `${git.owner}:${branch}`, repo: repository, user },
    base: {
      ref: git.defaultBranch.name,
      sha: git.defaultBranch.sha,
      label: `${git.owner}:${git.defaultBranch.name}`,
      repo: repository,
      user,
    },
    html_url: `https://github.com/${git.owner}/${git.name}/pull/${localPullRequestNumber}`,
  });
  const issue = (): Payload => ({ number: localPullRequestNumber, title: git.subject, state: "open", user });
  switch (eventName) {
    case "push":
      return { ref: git.ref, before: git.parent, after: git.sha, ...common, pusher: { name: git.actor } };
    case "workflow_dispatch":
      return { ref: git.ref, inputs, ...common };
    case "pull_request":
    case "pull_request_target":
    case "pull_request_review":
    case "pull_request_review_comment":
      return { ...withAction, number: localPullRequestNumber, pull_request: pullRequest(), ...common };
    case "issue_comment":
      return { ...withAction, issue: issue(), comment: { id: 1, body: "", user }, ...common };
    case "issues":
      return { ...withAction, issue: issue(), ...common };
    case "release": {
      const tag = git.tag ?? branch;
      return {
        ...withAction,
        release: { tag_name: tag, name: tag, draft: false, prerelease: false, target_commitish: branch },
        ...common,
      };
    }
    case "workflow_run":
      return {
        ...withAction,
        workflow_run: {
          name: "",
          event: "push",
          status: "completed",
          conclusion: "success",
          head_branch: branch,
          head_sha: git.sha,
        },
        ...common,
      };
    default:
      return { ...withAction, ...common };
  }
}

/**
 * Fits a generated payload to one workflow's `on.<event>`: a workflow that listens only to other activity types
 * gets the first of its `types`, and a `workflow_run` one the first workflow its `workflows` filter names, so that
 * `--event` alone runs the workflows listening to that event.
 */
export function fitPayloadToWorkflow(eventName: string, payload: Payload, events: EventsConfig): Payload {
  const config: unknown = events[eventName];
  if (config === null || typeof config !== "object" || Array.isArray(config)) return payload;
  const filters = config as Record<string, unknown>;
  let fitted = payload;
  const types = listOf(filters["types"]);
  if (types.length > 0 && typeof payload["action"] === "string" && !types.includes(payload["action"]))
    fitted = { ...fitted, action: types[0]! };
  const workflows = listOf(filters["workflows"]);
  const run = fitted["workflow_run"];
  if (
    eventName === "workflow_run" &&
    workflows.length > 0 &&
    run &&
    typeof run === "object" &&
    !Array.isArray(run)
  )
    fitted = { ...fitted, workflow_run: { ...run, name: workflows[0]! } };
  return fitted;
}

function listOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
