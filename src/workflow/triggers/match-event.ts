// Decides whether one event starts a workflow under its `on` section; must not evaluate expressions or read files.
import type { EventsConfig } from "@actions/workflow-parser/model/workflow-template";
import { defaultActivityTypes, readActivityType } from "./activity-types.js";
import { eventVetoes } from "./event-vetoes.js";
import { matchesFilter } from "./filter-pattern.js";

export interface TriggerEvent {
  /** push, pull_request, workflow_dispatch, ... */
  name: string;
  /** GitHub webhook payload shape. */
  payload: Record<string, unknown>;
  /**
   * Files changed by the push or pull request. Undefined means unknown, and then path filters pass: GitHub
   * docs ("Git diff comparisons") say that when a diff cannot be generated "the workflow will always run".
   * An empty list means nothing changed, and then any path filter fails ("If there are no files changed,
   * the workflow will not run"). GitHub only inspects the first 300 files of a diff; callers that want that
   * limit truncate the list themselves.
   */
  changedFiles?: string[];
}

export interface TriggerDecision {
  triggered: boolean;
  reason: string;
}

/** The filter keys of one `on.<event>` mapping, as the workflow parser converts them. */
type EventFilters = Readonly<Record<string, unknown>>;

/** Returns a reason when the event fails the check, undefined when it passes. */
type EventCheck = (filters: EventFilters, event: TriggerEvent) => string | undefined;

const branchRefPrefix = "refs/heads/";
const tagRefPrefix = "refs/tags/";

// Workflow syntax: on.push.<branches|tags|...>, on.<pull_request|pull_request_target>.<branches|...>,
// on.<push|pull_request|pull_request_target>.<paths|paths-ignore> and on.workflow_run.<branches|...>.
const eventChecks: Readonly<Record<string, readonly EventCheck[]>> = {
  push: [checkPushRef, checkPushPaths],
  pull_request: [checkBaseBranch, checkPaths],
  pull_request_target: [checkBaseBranch, checkPaths],
  workflow_run: [checkWorkflowName, checkWorkflowRunBranch],
};

export function matchEvent(events: EventsConfig, event: TriggerEvent): TriggerDecision {
  if (!Object.hasOwn(events, event.name)) {
    return { triggered: false, reason: `event '${event.name}' is not listed in the workflow's 'on'` };
  }
  const config: unknown = events[event.name];
  if (event.name === "schedule") return matchSchedule(config, event);
  const filters: EventFilters = isRecord(config) ? config : {};

  const typeFailure = checkActivityType(filters, event);
  if (typeFailure !== undefined) return { triggered: false, reason: typeFailure };
  const vetoFailure = checkVetoes(event);
  if (vetoFailure !== undefined) return { triggered: false, reason: vetoFailure };
  for (const check of eventChecks[event.name] ?? []) {
    const failure = check(filters, event);
    if (failure !== undefined) return { triggered: false, reason: failure };
  }
  return { triggered: true, reason: `event '${event.name}' passes the workflow's 'on' filters` };
}

function checkActivityType(filters: EventFilters, event: TriggerEvent): string | undefined {
  const configured = readList(filters, "types");
  const allowed = configured ?? defaultActivityTypes[event.name];
  if (allowed === undefined) return undefined;
  const activityType = readActivityType(event.name, event.payload);
  const source = configured === undefined ? "default types" : "types filter";
  if (activityType === undefined) {
    return `'${event.name}' event has no activity type, but the ${source} requires one of ${formatList(allowed)}`;
  }
  if (!allowed.includes(activityType)) {
    return `activity type '${activityType}' is not in the ${source} ${formatList(allowed)}`;
  }
  return undefined;
}

function checkVetoes(event: TriggerEvent): string | undefined {
  const activityType = readActivityType(event.name, event.payload);
  for (const veto of eventVetoes) {
    if (veto.event !== event.name) continue;
    if (veto.activityTypes && (activityType === undefined || !veto.activityTypes.includes(activityType))) {
      continue;
    }
    if (readPath(event.payload, veto.path) === veto.equals) return veto.reason;
  }
  return undefined;
}

// Workflow syntax, on.push.<branches|tags|branches-ignore|tags-ignore>: "If you define only tags/tags-ignore
// or only branches/branches-ignore, the workflow won't run for events affecting the undefined Git ref."
function checkPushRef(filters: EventFilters, event: TriggerEvent): string | undefined {
  const ref = readPath(event.payload, ["ref"]);
  const hasBranchFilters = hasAnyKey(filters, ["branches", "branches-ignore"]);
  const hasTagFilters = hasAnyKey(filters, ["tags", "tags-ignore"]);
  if (typeof ref === "string" && ref.startsWith(branchRefPrefix)) {
    const branch = ref.slice(branchRefPrefix.length);
    if (hasBranchFilters) return checkRefFilter(filters, "branch", branch, "branches");
    if (hasTagFilters) return `push to branch '${branch}' does not run a workflow that filters only tags`;
    return undefined;
  }
  if (typeof ref === "string" && ref.startsWith(tagRefPrefix)) {
    const tag = ref.slice(tagRefPrefix.length);
    if (hasTagFilters) return checkRefFilter(filters, "tag", tag, "tags");
    if (hasBranchFilters) return `push of tag '${tag}' does not run a workflow that filters only branches`;
    return undefined;
  }
  if (hasBranchFilters || hasTagFilters) {
    return `push ref ${typeof ref === "string" ? `'${ref}'` : "(missing)"} is neither a branch nor a tag`;
  }
  return undefined;
}

// Workflow syntax, on.<push|...>.<paths|paths-ignore>: "Path filters are not evaluated for pushes of tags."
function checkPushPaths(filters: EventFilters, event: TriggerEvent): string | undefined {
  const ref = readPath(event.payload, ["ref"]);
  if (typeof ref === "string" && ref.startsWith(tagRefPrefix)) return undefined;
  return checkPaths(filters, event);
}

// Workflow syntax, on.<pull_request|pull_request_target>.<branches|branches-ignore>: the patterns match the
// branch the pull request targets (its base), not its head.
function checkBaseBranch(filters: EventFilters, event: TriggerEvent): string | undefined {
  if (!hasAnyKey(filters, ["branches", "branches-ignore"])) return undefined;
  const base = readPath(event.payload, ["pull_request", "base", "ref"]);
  if (typeof base !== "string") return "pull request has no base branch (pull_request.base.ref) to filter on";
  return checkRefFilter(filters, "base branch", stripPrefix(base, branchRefPrefix), "branches");
}

function checkPaths(filters: EventFilters, event: TriggerEvent): string | undefined {
  const include = readList(filters, "paths");
  const ignore = readList(filters, "paths-ignore");
  if (include === undefined && ignore === undefined) return undefined;
  const files = event.changedFiles;
  if (files === undefined) return undefined;
  if (files.length === 0) return "no files changed, so the paths filters cannot match";
  if (include !== undefined && !matchesFilter({ include }, files, "path")) {
    return `none of the ${countFiles(files)} matches the paths filter`;
  }
  if (ignore !== undefined && !matchesFilter({ ignore }, files, "path")) {
    return `all of the ${countFiles(files)} match the paths-ignore filter`;
  }
  return undefined;
}

// The `workflows` entries are glob patterns like branch filters (github/codeql-action#3839 escapes `+` in
// "C++" for that reason; actions/runner#3763).
function checkWorkflowName(filters: EventFilters, event: TriggerEvent): string | undefined {
  const workflows = readList(filters, "workflows");
  if (workflows === undefined) return undefined;
  const name = readPath(event.payload, ["workflow_run", "name"]);
  if (typeof name !== "string") return "workflow_run event has no workflow_run.name to filter on";
  if (!matchesFilter({ include: workflows }, [name], "ref")) {
    return `workflow '${name}' does not match the workflows filter ${formatList(workflows)}`;
  }
  return undefined;
}

// Workflow syntax, on.workflow_run.<branches|branches-ignore>: "what branches the triggering workflow must
// run on".
function checkWorkflowRunBranch(filters: EventFilters, event: TriggerEvent): string | undefined {
  if (!hasAnyKey(filters, ["branches", "branches-ignore"])) return undefined;
  const branch = readPath(event.payload, ["workflow_run", "head_branch"]);
  if (typeof branch !== "string") return "workflow_run event has no workflow_run.head_branch to filter on";
  return checkRefFilter(filters, "branch", branch, "branches");
}

function checkRefFilter(
  filters: EventFilters,
  noun: string,
  name: string,
  key: "branches" | "tags",
): string | undefined {
  const include = readList(filters, key);
  const ignore = readList(filters, `${key}-ignore`);
  if (include !== undefined && !matchesFilter({ include }, [name], "ref")) {
    return `${noun} '${name}' does not match the ${key} filter ${formatList(include)}`;
  }
  if (ignore !== undefined && !matchesFilter({ ignore }, [name], "ref")) {
    return `${noun} '${name}' matches the ${key}-ignore filter ${formatList(ignore)}`;
  }
  return undefined;
}

// Events that trigger workflows, schedule: a run belongs to one of the workflow's cron entries; GitHub's
// payload names it in `schedule`.
function matchSchedule(config: unknown, event: TriggerEvent): TriggerDecision {
  const cron = readPath(event.payload, ["schedule"]);
  if (typeof cron !== "string") return { triggered: true, reason: "event 'schedule' is listed in 'on'" };
  const crons = Array.isArray(config)
    ? config.flatMap((entry: unknown) => {
        const value = isRecord(entry) ? entry["cron"] : undefined;
        return typeof value === "string" ? [value] : [];
      })
    : [];
  if (!crons.includes(cron)) {
    return { triggered: false, reason: `schedule '${cron}' is not one of the workflow's cron entries` };
  }
  return { triggered: true, reason: `schedule '${cron}' is one of the workflow's cron entries` };
}

function readList(filters: EventFilters, key: string): string[] | undefined {
  const value = filters[key];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === "string");
}

function hasAnyKey(filters: EventFilters, keys: readonly string[]): boolean {
  return keys.some((key) => filters[key] !== undefined);
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

function countFiles(files: readonly string[]): string {
  return files.length === 1 ? "1 changed file" : `${files.length} changed files`;
}

function formatList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(", ")}]`;
}
