// Where waiting claims sleep until a job wake-up (or their deadline); armed before each claim so none is missed.

export interface ArmedWake {
  /** Resolves on the next wake-up after arming (even one that came before this call), or after `ms`. */
  wait(ms: number): Promise<void>;
  disarm(): void;
  /** Wakes this wait only (its client hung up). */
  wake(): void;
}

export interface WakeBoard {
  arm(): ArmedWake;
  wakeAll: () => void;
  /** Wakes everyone now and every later arm at once (shutdown). */
  close(): void;
  readonly isClosed: boolean;
}

export function createWakeBoard(): WakeBoard {
  const armed = new Set<() => void>();
  let isClosed = false;
  const wakeAll = () => {
    for (const wake of [...armed]) wake();
  };
  return {
    arm() {
      let isWoken = isClosed;
      let resolveWait: (() => void) | undefined;
      const wake = () => {
        isWoken = true;
        armed.delete(wake);
        resolveWait?.();
      };
      if (!isWoken) armed.add(wake);
      return {
        wait: (ms) =>
          isWoken
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                const timer = setTimeout(wake, ms);
                resolveWait = () => {
                  clearTimeout(timer);
                  resolve();
                };
              }),
        disarm: () => armed.delete(wake),
        wake,
      };
    },
    wakeAll,
    close() {
      isClosed = true;
      wakeAll();
    },
    get isClosed() {
      return isClosed;
    },
  };
}
