// The remote runner's public surface: the HTTP client, the claim loop, and the wire contract the server shares.
export { runnerLoop, type RunnerLoopOptions, type RunnerLoopResult } from "./runner-loop.js";
export { runClaimedJob, type ClaimedJobOptions, type ClaimedJobOutcome } from "./run-claimed-job.js";
export { RunnerClient, RunnerProtocolError, registerWithServer } from "./runner-client.js";
export { JobOutbox, type OutboxOptions, type OutboxTransport } from "./job-outbox.js";
export { encodeLogLine, decodeLogText } from "./log-line-codec.js";
export { missingBlobsBatch } from "./server-content.js";
export { defaultRetryBounds, type RetryBounds } from "./retry-delay.js";
export type * from "./protocol-messages.js";
