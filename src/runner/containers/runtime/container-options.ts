// Parses the `options:` string of `jobs.<id>.container` and `services.<id>` (docker create flags): the useful subset, the rest refused.
import { splitArguments } from "../../shell.js";
import { ContainerError } from "../container-error.js";

export interface HealthCheck {
  /** Run as `/bin/sh -c <command>` inside the container, like Docker's CMD-SHELL. */
  command: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface ContainerOptions {
  healthCheck?: HealthCheck;
  env: Record<string, string>;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  memoryBytes?: number;
  /** Fraction of CPUs, e.g. 1.5. */
  cpus?: number;
  networkAliases: string[];
  /** `--security-opt seccomp=unconfined`: no seccomp profile, as Docker spells it. */
  isSeccompUnconfined?: boolean;
}

/** Docker's defaults for a health check given without timings (docker run reference, HEALTHCHECK). */
export const healthCheckDefaults = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 0,
} as const;

type OptionHandler = (options: ContainerOptions, value: string, health: Partial<HealthCheck>) => void;

/** Every option we accept, by each of its spellings; a flag not in this table is refused by name. */
const optionTable: Record<string, OptionHandler> = {
  "--health-cmd": (_, value, health) => {
    health.command = value;
  },
  "--health-interval": (_, value, health) => {
    health.intervalMs = parseDuration("--health-interval", value);
  },
  "--health-timeout": (_, value, health) => {
    health.timeoutMs = parseDuration("--health-timeout", value);
  },
  "--health-start-period": (_, value, health) => {
    health.startPeriodMs = parseDuration("--health-start-period", value);
  },
  "--health-retries": (_, value, health) => {
    health.retries = parseCount("--health-retries", value);
  },
  "--env": (options, value) => addEnv(options, value),
  "-e": (options, value) => addEnv(options, value),
  "--user": (options, value) => {
    options.user = value;
  },
  "-u": (options, value) => {
    options.user = value;
  },
  "--workdir": (options, value) => {
    options.workdir = value;
  },
  "-w": (options, value) => {
    options.workdir = value;
  },
  "--entrypoint": (options, value) => {
    options.entrypoint = value;
  },
  "--memory": (options, value) => {
    options.memoryBytes = parseBytes("--memory", value);
  },
  "-m": (options, value) => {
    options.memoryBytes = parseBytes("--memory", value);
  },
  "--cpus": (options, value) => {
    const cpus = Number(value);
    if (!Number.isFinite(cpus) || cpus <= 0)
      throw badOption(`--cpus needs a positive number, got '${value}'`);
    options.cpus = cpus;
  },
  "--network-alias": (options, value) => {
    options.networkAliases.push(value);
  },
  "--security-opt": (options, value) => {
    if (value !== "seccomp=unconfined") {
      throw badOption(`container option --security-opt supports only seccomp=unconfined, got '${value}'`);
    }
    options.isSeccompUnconfined = true;
  },
};

/** Splits like the GitHub runner does (it hands the string to docker as one .NET argument line). */
export function parseContainerOptions(text: string | undefined): ContainerOptions {
  const options: ContainerOptions = { env: {}, networkAliases: [] };
  const health: Partial<HealthCheck> = {};
  const words = splitArguments(text ?? "");
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const equals = word.startsWith("--") ? word.indexOf("=") : -1;
    const flag = equals > 0 ? word.slice(0, equals) : word;
    const handler = optionTable[flag];
    if (!handler) {
      throw badOption(
        `container option '${flag}' is not supported; supported: ${Object.keys(optionTable).join(", ")}`,
      );
    }
    let value: string;
    if (equals > 0) value = word.slice(equals + 1);
    else {
      if (i + 1 >= words.length) throw badOption(`container option '${flag}' needs a value`);
      value = words[++i];
    }
    handler(options, value, health);
  }
  const hasTimings = Object.keys(health).some((key) => key !== "command");
  if (health.command === undefined && hasTimings) {
    throw badOption("container options set health-check timings but no --health-cmd");
  }
  if (health.command !== undefined)
    options.healthCheck = { ...healthCheckDefaults, ...health, command: health.command };
  return options;
}

function addEnv(options: ContainerOptions, value: string): void {
  const equals = value.indexOf("=");
  // Docker would copy a bare name from the client's environment: here that is the runner's, which a job must not see.
  if (equals <= 0) throw badOption(`container option --env needs NAME=VALUE, got '${value}'`);
  options.env[value.slice(0, equals)] = value.slice(equals + 1);
}

const durationUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration format, which docker uses: "10s", "1m30s", "500ms". */
export function parseDuration(option: string, text: string): number {
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * durationUnitsMs[match[2]];
    consumed += match[0].length;
  }
  if (text === "" || consumed !== text.length) {
    throw badOption(`${option} needs a duration like 10s, 1m30s or 500ms, got '${text}'`);
  }
  return Math.round(total);
}

const byteUnits: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's RAMInBytes: a number with an optional b/k/m/g/t suffix (binary units, "kb"/"mb" accepted too). */
export function parseBytes(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text);
  if (!match) throw badOption(`${option} needs a size like 512m or 2g, got '${text}'`);
  return Math.floor(Number(match[1]) * byteUnits[match[2].toLowerCase()]);
}

function parseCount(option: string, text: string): number {
  if (!/^\d+$/.test(text)) throw badOption(`${option} needs a whole number, got '${text}'`);
  return Number(text);
}

function badOption(message: string): ContainerError {
  return new ContainerError("CONTAINER_BAD_OPTION", message);
}

export interface PortMapping {
  containerPort: number;
  /** Undefined: a free port is picked on the host, as `docker run -p 80` does. */
  hostPort?: number;
}

/** `ports:` entries: "8080:80", "80", "8080:80/tcp"; only TCP on the host's loopback is published. */
export function parsePortMapping(text: string): PortMapping {
  const match = /^(?:(\d+):)?(\d+)(?:\/tcp)?$/.exec(String(text).trim());
  if (!match) {
    throw badOption(
      `port '${text}' is not supported; use CONTAINER_PORT or HOST_PORT:CONTAINER_PORT (TCP only)`,
    );
  }
  const containerPort = parsePort(text, match[2]);
  return match[1] === undefined ? { containerPort } : { containerPort, hostPort: parsePort(text, match[1]) };
}

function parsePort(text: string, digits: string): number {
  const port = Number(digits);
  if (port < 1 || port > 65_535) throw badOption(`port '${text}' is out of range 1-65535`);
  return port;
}

export type VolumeSource =
  { kind: "host"; path: string } | { kind: "named"; name: string } | { kind: "anonymous" };

export interface VolumeMount {
  source: VolumeSource;
  destination: string;
  readOnly: boolean;
}

/** `volumes:` entries as docker -v takes them: "/host:/ctr[:ro]", "name:/ctr[:rw]", "/ctr". */
export function parseVolume(text: string): VolumeMount {
  const parts = text.split(":");
  let readOnly = false;
  if (parts.length === 3 || (parts.length === 2 && /^(ro|rw)$/.test(parts[1]))) {
    const mode = parts.pop() as string;
    if (mode !== "ro" && mode !== "rw") throw badOption(`volume '${text}' has mode '${mode}'; use ro or rw`);
    readOnly = mode === "ro";
  }
  if (parts.length === 1) {
    if (!parts[0].startsWith("/")) throw badOption(`volume '${text}' needs an absolute container path`);
    return { source: { kind: "anonymous" }, destination: parts[0], readOnly };
  }
  const [source, destination] = parts;
  if (parts.length !== 2 || !destination.startsWith("/")) {
    throw badOption(`volume '${text}' needs SOURCE:/container/path[:ro]`);
  }
  if (source.startsWith("/")) return { source: { kind: "host", path: source }, destination, readOnly };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) {
    throw badOption(`volume '${text}': '${source}' is neither an absolute host path nor a volume name`);
  }
  return { source: { kind: "named", name: source }, destination, readOnly };
}
