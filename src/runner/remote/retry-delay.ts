// Capped exponential backoff with full jitter for reconnecting runners, so many runners never retry in lockstep.
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryBounds {
  minMs: number;
  maxMs: number;
}

export const defaultRetryBounds: RetryBounds = { minMs: 200, maxMs: 15_000 };

/** Waits before retry number `attempt` (0-based); resolves early, without throwing, when `signal` aborts. */
export async function waitBeforeRetry(
  attempt: number,
  bounds: RetryBounds,
  signal?: AbortSignal,
): Promise<void> {
  const cap = Math.min(bounds.maxMs, bounds.minMs * 2 ** attempt);
  await sleep(Math.random() * cap, undefined, { signal }).catch(() => undefined);
}
