// Waits for a service container to pass its health check, with Docker's interval, timeout, retries and start period.
import { setTimeout as delay } from "node:timers/promises";
import { readFile } from "node:fs/promises";
import { ContainerError } from "../container-error.js";
import { healthCheckDefaults, type HealthCheck } from "./container-options.js";
import type { Container } from "./container.js";

export interface ImageHealthCheck {
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
}

export interface CheckedService {
  name: string;
  container: Container;
  logFile: string;
  /** NAME=VALUE: the service's own environment, as Docker runs the check with. */
  env: string[];
}

/** How much of a check's output and of the service log an error quotes. */
const quotedTailBytes = 4096;

/** An image's HEALTHCHECK: ["CMD-SHELL", "cmd"], ["CMD", ...args] or ["NONE"]. */
export function healthCheckFromImage(image: ImageHealthCheck | undefined): HealthCheck | undefined {
  if (!image || image.test.length === 0 || image.test[0] === "NONE") return undefined;
  const [kind, ...rest] = image.test;
  const command = kind === "CMD-SHELL" ? rest.join(" ") : rest.map(quoteForShell).join(" ");
  return {
    command,
    intervalMs: image.intervalMs ?? healthCheckDefaults.intervalMs,
    timeoutMs: image.timeoutMs ?? healthCheckDefaults.timeoutMs,
    retries: image.retries ?? healthCheckDefaults.retries,
    startPeriodMs: healthCheckDefaults.startPeriodMs,
  };
}

/**
 * Like dockerd: a check every interval; failures during the start period do not count; `retries` failures in a
 * row, or the service's main process ending, fail with the last check's output and the service's log.
 */
export async function waitUntilHealthy(started: CheckedService, check: HealthCheck): Promise<void> {
  const startedAt = Date.now();
  let failures = 0;
  let lastOutput = "";
  for (;;) {
    await delay(check.intervalMs);
    if (!(await started.container.isRunning())) {
      throw await unhealthy(started, "its main process exited", lastOutput);
    }
    const chunks: Buffer[] = [];
    const result = await started.container
      .exec(
        { args: ["/bin/sh", "-c", check.command], env: started.env, cwd: "/", timeoutMs: check.timeoutMs },
        (chunk) => chunks.push(chunk),
      )
      .catch((error: unknown) => {
        chunks.push(Buffer.from(error instanceof Error ? error.message : String(error)));
        return undefined;
      });
    if (result?.exitCode === 0) return;
    lastOutput = Buffer.concat(chunks).toString("utf8");
    if (result?.timedOut) lastOutput += `\n(health check timed out after ${check.timeoutMs} ms)`;
    if (Date.now() - startedAt >= check.startPeriodMs) failures++;
    if (failures >= check.retries) {
      throw await unhealthy(started, `'${check.command}' failed ${failures} times in a row`, lastOutput);
    }
  }
}

async function unhealthy(
  started: CheckedService,
  reason: string,
  lastOutput: string,
): Promise<ContainerError> {
  const log = await readFile(started.logFile, "utf8").catch(() => "");
  return new ContainerError(
    "CONTAINER_HEALTH_CHECK_FAILED",
    `service '${started.name}' is not healthy: ${reason}\n` +
      `--- last health check output ---\n${tail(lastOutput)}\n--- service log ---\n${tail(log)}`,
  );
}

function tail(text: string): string {
  return text.length > quotedTailBytes ? `...${text.slice(-quotedTailBytes)}` : text;
}

function quoteForShell(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}
