// The jobs of a run's current attempt that wait at an environment's gate, as the API and the approve command see them.
import { listJobWaits, type ApprovalWaitDetail, type Run, type Store } from "../../store/index.js";

export interface PendingGate {
  attempt: number;
  key: string;
  jobId: string;
  name: string;
  environment: string;
  waitingFor: ApprovalWaitDetail["waitingFor"];
  since: string;
}

/** Safe under concurrency: one read of the wait rows, which the gates keep. */
export async function describePendingGates(store: Store, run: Run): Promise<PendingGate[]> {
  const waits = await listJobWaits(store, run.id);
  return waits
    .filter((wait) => wait.attempt === run.attempt && wait.reason === "approval")
    .map((wait) => {
      const detail = wait.detail as ApprovalWaitDetail;
      return {
        attempt: wait.attempt,
        key: wait.key,
        jobId: wait.jobId,
        name: wait.name,
        environment: detail.environment,
        waitingFor: detail.waitingFor,
        since: wait.since,
      };
    });
}
