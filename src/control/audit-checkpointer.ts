// Periodic signed audit checkpoints from `hangar serve`, into the data directory; skipped while the chain is unchanged.
import { readChainHead, writeAuditCheckpoint, type Store } from "../store/index.js";

export interface AuditCheckpointerOptions {
  store: Store;
  dataDir: string;
  intervalMs: number;
  log(message: string, details?: Record<string, unknown>): void;
}

export function startAuditCheckpointer(options: AuditCheckpointerOptions): { stop(): Promise<void> } {
  let lastCount: number | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = async () => {
    const head = await readChainHead(options.store);
    if (head.count === lastCount) return;
    await writeAuditCheckpoint(options.store, options.dataDir);
    lastCount = head.count;
  };
  const timer = setInterval(() => {
    inFlight = tick().catch((error: unknown) =>
      options.log("audit checkpoint failed", { error: String(error) }),
    );
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
