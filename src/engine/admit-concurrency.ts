// Evaluates a `concurrency:` (workflow or job level) and waits for admission to its group.
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { isTruthy, toDisplayString, type Contexts } from "../workflow/index.js";
import { evaluateOrFail } from "../runner/index.js";
import type { Admission } from "./concurrency-groups.js";
import type { RunOptions } from "./run-options.js";

const admitted: Admission = { admitted: true, release: async () => undefined };

/** What the holder is: the whole run (no `jobKey`) or one job instance, and how it is ended or stops waiting. */
export interface GroupHolder {
  jobKey?: string;
  cancel: () => void;
  /** Hears the group's name when admission has to wait for the group's running holder. */
  onWait: (group: string) => void;
  signal: AbortSignal;
}

/** `concurrency: group` or `{ group, cancel-in-progress }`; no groups configured or no group: admitted at once. */
export async function admitToConcurrencyGroup(
  file: string,
  token: TemplateToken | undefined,
  contexts: Contexts,
  options: RunOptions,
  holder: GroupHolder,
): Promise<Admission> {
  if (!token || !options.concurrencyGroups) return admitted;
  const value = await evaluateOrFail(file, token, contexts);
  const isMapping = value !== null && typeof value === "object" && !Array.isArray(value);
  const group = toDisplayString(isMapping ? (value["group"] ?? "") : value);
  if (!group) return admitted;
  const cancelInProgress = isMapping ? isTruthy(value["cancel-in-progress"] ?? false) : false;
  return options.concurrencyGroups.acquire({
    group,
    cancelInProgress,
    ...(holder.jobKey === undefined ? {} : { jobKey: holder.jobKey }),
    cancel: holder.cancel,
    onWait: () => holder.onWait(group),
    signal: holder.signal,
  });
}
