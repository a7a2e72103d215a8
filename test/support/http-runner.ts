// A test acting as a runner over the real runner protocol: registered over HTTP, it claims jobs, stores log chunks
// and completes jobs without running anything.
import assert from "node:assert/strict";
import type { RunningServer } from "../../src/server/index.js";
import { mintRegistrationToken } from "../../src/store/index.js";

export async function registerHttpRunner(server: RunningServer, name: string, labels: string[]) {
  const { token } = await mintRegistrationToken(server.store, { ttlMs: 60_000 });
  const post = async (path: string, body: unknown, runnerToken?: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(runnerToken ? { authorization: `Bearer ${runnerToken}` } : {}),
      },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Record<string, unknown>;
  };
  const registered = await post("/api/runners/register", { token, name, labels });
  const runnerToken = String(registered["runnerToken"]);
  /** The claim's answer: the job (the oldest queued one with this runner's labels), its request and secrets. */
  const claimJob = () => post("/api/runners/claim", {}, runnerToken);
  return {
    claimJob,
    /** The id of the job claimed. */
    claim: async () => Number((await claimJob())["jobId"]),
    /** Stores chunks `line N\n` with the given seqs. */
    appendLogs: (jobId: number, seqs: number[]) =>
      post(
        `/api/jobs/${jobId}/logs`,
        { chunks: seqs.map((seq) => ({ seq, offset: (seq - 1) * 7, text: `line ${seq}\n` })) },
        runnerToken,
      ),
    complete: (jobId: number) =>
      post(`/api/jobs/${jobId}/complete`, { conclusion: "success", outputs: {} }, runnerToken),
  };
}
