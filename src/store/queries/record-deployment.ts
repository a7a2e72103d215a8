// Records a job that ran in an environment as a deployment, with its deployment:created event.
import { toDeployment, type Deployment, type DeploymentStatus } from "../environment-record.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface DeploymentInput {
  repositoryId: number;
  environment: string;
  ref: string;
  sha: string;
  runId: number;
  attempt: number;
  jobKey: string;
  status: DeploymentStatus;
  url?: string;
  actor: string;
}

/**
 * Safe under concurrency: insert-if-absent on (run, attempt, job); a second record of the same job instance (a resumed
 * run) returns the first and records no event.
 */
export async function recordDeployment(store: Store, input: DeploymentInput): Promise<Deployment> {
  return runInTransaction(store, async (trx) => {
    const row = await trx
      .insertInto("deployments")
      .values({
        repository_id: input.repositoryId,
        environment: input.environment,
        ref: input.ref,
        sha: input.sha,
        run_id: input.runId,
        attempt: input.attempt,
        job_key: input.jobKey,
        status: input.status,
        url: input.url ?? null,
      })
      .onConflict((conflict) => conflict.columns(["run_id", "attempt", "job_key"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const existing = await trx
        .selectFrom("deployments")
        .selectAll()
        .where("run_id", "=", input.runId)
        .where("attempt", "=", input.attempt)
        .where("job_key", "=", input.jobKey)
        .executeTakeFirstOrThrow();
      return toDeployment(existing);
    }
    const deployment = toDeployment(row);
    await recordEvent(trx, {
      action: "deployment:created",
      resourceType: "deployment",
      resourceId: deployment.id,
      actor: input.actor,
      traceId: `${deployment.runId}-${deployment.attempt}`,
      status: deployment.status,
      payload: {
        runId: deployment.runId,
        attempt: deployment.attempt,
        job: deployment.jobKey,
        environment: deployment.environment,
        ref: deployment.ref,
        sha: deployment.sha,
        url: deployment.url,
      },
    });
    return deployment;
  });
}
