// Which secrets a job gets, decided when a runner claims it (never stored with the queued job): GitHub's rule from
// docs "Using secrets in GitHub Actions": secrets are not passed to workflows triggered by a pull request from a
// fork (pull_request_target runs in the base repository's context and does get them). Environment secrets join
// only for a job that names the environment, and such a job is queued only after its gate passed.
import { isForkPullRequestRun, type DeliveredSecrets } from "../../runner/index.js";
import { readSealedSecrets, type Store } from "../../store/index.js";
import { openSecret } from "./secret-cipher.js";
import type { SecretKeyring } from "./secret-key.js";

export interface JobSecretsQuery {
  repositoryId: number;
  /** The environment the job runs in, if any. */
  environment?: string;
  event: string;
  payload: unknown;
}

export async function resolveJobSecrets(
  store: Store,
  keyring: SecretKeyring,
  query: JobSecretsQuery,
): Promise<DeliveredSecrets> {
  const delivered: DeliveredSecrets = { repository: {}, environment: {} };
  if (isSecretsWithheld(query.event, query.payload)) return delivered;
  const scope = { repositoryId: query.repositoryId, environment: query.environment };
  for (const secret of await readSealedSecrets(store, scope)) {
    const into = secret.environment === null ? delivered.repository : delivered.environment;
    into[secret.name] = await openSecret(keyring, secret);
  }
  return delivered;
}

/** True for a run of a pull request from a fork: it gets no secrets at all, repository or environment. */
export function isSecretsWithheld(event: string, payload: unknown): boolean {
  return isForkPullRequestRun(event, payload);
}
