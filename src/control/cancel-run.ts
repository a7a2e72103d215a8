// Cancels a run from any server: the request is recorded on the run, its queued jobs are cancelled in the store at
// once, and its orchestrator (this server or another one) cancels its engine.
import { requestRunCancel, type Store } from "../store/index.js";
import type { ClusterActivity } from "./cluster-activity.js";
import type { RunLauncher } from "./run-launcher.js";

export async function cancelRun(
  deps: { store: Store; launcher: RunLauncher; cluster: ClusterActivity },
  runId: number,
  actor: string,
): Promise<void> {
  // A completed run or an unknown one throws a StoreError the API maps to 409 or 404.
  const cancelled = await requestRunCancel(deps.store, runId, { actor });
  for (const job of cancelled.jobs) deps.cluster.activity.notify(job.id);
  // Not orchestrated here: whoever orchestrates it hears now, or at its next lease renewal if this is lost.
  if (!deps.launcher.cancel(runId)) await deps.cluster.announceRunCancel(runId);
}
