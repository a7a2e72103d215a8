// What a server's run gives the engine: placeholders for the repository's secrets (their values reach only the
// runner that claims a job; see runner/job-secrets.ts) and the repository's variables; and, for each job it queues,
// the placeholders' tag and its environment's variables over the repository's.
import { newSecretPlaceholderTag, secretPlaceholder, type JobRequest } from "../../runner/index.js";
import { listSecrets, type Run, type Store } from "../../store/index.js";
import { isSecretsWithheld } from "./resolve-job-secrets.js";
import { resolveVariables } from "./scoped-values.js";

export interface RunExposure {
  /**
   * The engine's `secrets` context: a placeholder per repository secret (none for a pull request from a fork), and
   * GITHUB_TOKEN's when the server gives jobs one.
   */
  secrets: Record<string, string>;
  /** The engine's `vars` context: the repository's variables. */
  vars: Record<string, string>;
  /** A job request as it is queued: the placeholder tag, and its environment's variables in `vars`. */
  prepare(request: JobRequest): Promise<JobRequest>;
}

export async function prepareRunExposure(
  store: Store,
  run: Pick<Run, "repositoryId" | "event" | "payload">,
  /** Each job gets a GITHUB_TOKEN with its claim, a fork's pull request too (a read-only one, as on GitHub). */
  hasJobToken: boolean,
): Promise<RunExposure> {
  const tag = newSecretPlaceholderTag();
  const names = isSecretsWithheld(run.event, run.payload)
    ? []
    : (await listSecrets(store, { repositoryId: run.repositoryId })).map((secret) => secret.name);
  if (hasJobToken) names.push("GITHUB_TOKEN");
  const vars = await resolveVariables(store, { repositoryId: run.repositoryId });
  return {
    secrets: Object.fromEntries(names.map((name) => [name, secretPlaceholder(tag, name)])),
    vars,
    async prepare(request) {
      const prepared: JobRequest = { ...request, secretPlaceholderTag: tag };
      if (!request.environment) return prepared;
      const scope = { repositoryId: run.repositoryId, environment: request.environment.name };
      const own = request.contexts["vars"];
      const overlaid = { ...(typeof own === "object" ? own : {}), ...(await resolveVariables(store, scope)) };
      return { ...prepared, contexts: { ...request.contexts, vars: overlaid } };
    },
  };
}
