// A job's secrets as the runner receives them: with the claim, over the runner's own authenticated connection, and
// never in the stored job request. On a server the engine holds placeholders instead of values (it evaluates the
// workflow's `env:` and a reusable workflow's `secrets:` mapping with them); the runner swaps the values in here.
import { randomBytes } from "node:crypto";
import type { Contexts, ExpressionValue } from "../workflow/index.js";
import type { EmitJobEvent, JobEvents } from "./job-events.js";
import type { Masker } from "./masker.js";
import type { LogLine } from "./types.js";

/** Contract (runner protocol): what a claim delivers. Both empty for a pull request from a fork. */
export interface DeliveredSecrets {
  /** The repository's secrets, by name; what placeholders refer to. */
  repository: Record<string, string>;
  /** The secrets of the environment the job runs in: they win over a repository secret of the same name. */
  environment: Record<string, string>;
}

/**
 * A run's placeholders carry a random tag, so text that reaches the engine from outside (an event payload field
 * copied into `env:`) cannot name a secret and have the runner fill it in.
 */
export function newSecretPlaceholderTag(): string {
  return randomBytes(12).toString("hex");
}

/** Stands for repository secret `name` in the engine's contexts; the name is upper-case (GitHub's naming rules). */
export function secretPlaceholder(tag: string, name: string): string {
  return `hangar-secret-${tag}(${name})`;
}

export interface ExposedSecrets {
  contexts: Contexts;
  workflowEnv: Record<string, string>;
}

/**
 * The job's `secrets` context: its own context with placeholders replaced (a top-level job's lists the repository's
 * secrets; a called workflow's, what its caller passed), overlaid by the environment's secrets, as GitHub does for
 * a job with `environment:` (docs "Reusing workflows": an environment secret is used, not the passed one).
 */
export function exposeSecrets(
  tag: string | undefined,
  contexts: Contexts,
  workflowEnv: Record<string, string>,
  delivered: DeliveredSecrets,
): ExposedSecrets {
  const fill = (text: string) =>
    tag === undefined
      ? text
      : text.replace(
          new RegExp(`hangar-secret-${tag}\\(([A-Za-z0-9_]+)\\)`, "g"),
          (_, name: string) => delivered.repository[name] ?? "",
        );
  const own = contexts["secrets"];
  const secrets: Record<string, ExpressionValue> = {};
  if (own && typeof own === "object" && !Array.isArray(own)) {
    for (const [name, value] of Object.entries(own))
      secrets[name] = typeof value === "string" ? fill(value) : value;
  }
  Object.assign(secrets, delivered.environment);
  return {
    contexts: { ...contexts, secrets },
    workflowEnv: Object.fromEntries(Object.entries(workflowEnv).map(([name, value]) => [name, fill(value)])),
  };
}

/**
 * Masks what leaves the job as events: step messages and summaries and every line (a second pass over lines the output
 * processor masked already costs little and covers lines emitted before a value was registered).
 */
export function maskingEmit(emit: EmitJobEvent, masker: Masker): EmitJobEvent {
  return (event, payload) => {
    if (event === "log:line") {
      const { line, ...rest } = payload as JobEvents["log:line"];
      emit("log:line", { ...rest, line: maskLine(line, masker) });
    } else if (event === "step:finished") {
      const finished = payload as JobEvents["step:finished"];
      emit("step:finished", {
        ...finished,
        ...(finished.message === undefined ? {} : { message: masker.mask(finished.message) }),
        ...(finished.summary === undefined ? {} : { summary: masker.mask(finished.summary) }),
      });
    } else {
      emit(event, payload);
    }
  };
}

function maskLine(line: LogLine, masker: Masker): LogLine {
  if (!line.annotation) return { ...line, text: masker.mask(line.text) };
  const { annotation } = line;
  return {
    ...line,
    text: masker.mask(line.text),
    annotation: {
      ...annotation,
      message: masker.mask(annotation.message),
      ...(annotation.title === undefined ? {} : { title: masker.mask(annotation.title) }),
      ...(annotation.file === undefined ? {} : { file: masker.mask(annotation.file) }),
    },
  };
}
