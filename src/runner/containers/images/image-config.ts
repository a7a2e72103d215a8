// Reads an image's run configuration (OCI image-spec config, plus Docker's Healthcheck) from its config blob.
import { ContainerError } from "../container-error.js";

/** Contract (issue 6/7): what the runtime needs to run a container from an image. */
export interface ImageConfig {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  healthcheck?: { test: string[]; intervalMs?: number; timeoutMs?: number; retries?: number };
}

interface RawHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
}

interface RawConfig {
  config?: {
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: RawHealthcheck | null;
  };
}

const nanosecondsPerMs = 1_000_000;

function stringList(value: unknown, field: string, digest: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new ContainerError(
      "IMAGE_UNPACK_FAILED",
      `image config ${digest}: ${field} is not a list of strings`,
    );
  }
  return value as string[];
}

/** Docker stores durations in nanoseconds; 0 means "use the default", so it is left out. */
function milliseconds(value: number | undefined): number | undefined {
  return value ? Math.round(value / nanosecondsPerMs) : undefined;
}

function parseHealthcheck(
  raw: RawHealthcheck | null | undefined,
  digest: string,
): ImageConfig["healthcheck"] {
  const test = stringList(raw?.Test, "Healthcheck.Test", digest);
  // Docker: an empty test inherits, ["NONE"] disables; neither is a check to run.
  if (test.length === 0 || test[0] === "NONE") return undefined;
  const intervalMs = milliseconds(raw?.Interval);
  const timeoutMs = milliseconds(raw?.Timeout);
  return {
    test,
    ...(intervalMs ? { intervalMs } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(raw?.Retries ? { retries: raw.Retries } : {}),
  };
}

export function parseImageConfig(json: string, digest: string): ImageConfig {
  let raw: RawConfig;
  try {
    raw = JSON.parse(json) as RawConfig;
  } catch (error) {
    throw new ContainerError("IMAGE_UNPACK_FAILED", `image config ${digest} is not JSON`, { cause: error });
  }
  const config = raw.config ?? {};
  const healthcheck = parseHealthcheck(config.Healthcheck, digest);
  return {
    env: stringList(config.Env, "Env", digest),
    entrypoint: stringList(config.Entrypoint, "Entrypoint", digest),
    cmd: stringList(config.Cmd, "Cmd", digest),
    workingDir: config.WorkingDir || "/",
    user: config.User ?? "",
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
    ...(healthcheck ? { healthcheck } : {}),
  };
}
