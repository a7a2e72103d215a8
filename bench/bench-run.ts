// What every benchmark's runs share: the identity and event of a push to bench/bench's main branch.
import { newRunId } from "../src/engine/index.js";
import type { RunOptions } from "../src/engine/index.js";

export function benchRunSettings(): Pick<RunOptions, "identity" | "event"> {
  return {
    identity: {
      runId: newRunId(),
      runNumber: 1,
      attempt: 1,
      actor: "bench",
      sha: "0".repeat(40),
      ref: "refs/heads/main",
      repository: { owner: "bench", name: "bench" },
      serverUrl: "https://github.com",
    },
    event: { name: "push", payload: {} },
  };
}
