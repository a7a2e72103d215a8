// Long-lived `hangar serve` and `hangar runner run` processes, for tests that kill them (kill -9) and
// start them again: the test owns each child and kills what is still running after it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import type { Store } from "../../src/store/index.js";
import { webhookRuns } from "./deliveries.js";
import { hangarCommand, runHangar } from "./hangar-cli.js";

export { freePort } from "./postgres.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const children = new Set<ChildProcess>();

after(async () => {
  await Promise.all([...children].map((child) => killProcess(child, "SIGKILL")));
});

export interface HangarProcess {
  child: ChildProcess;
  readonly pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far (hangar serve's log lines, one JSON object each). */
  stdout(): string;
  /** Resolves with the first match of `pattern` in stderr, failing if the process exits first or after `ms`. */
  waitForStderr(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** As waitForStderr, in stdout. */
  waitForStdout(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function spawnHangar(args: string[], env: Record<string, string> = {}): HangarProcess {
  const child = spawn(process.execPath, [...hangarCommand(), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const output = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.on("data", (chunk: Buffer) => {
      output[stream] += chunk.toString();
      for (const watch of [...watchers]) watch();
    });
  }
  child.on("exit", () => {
    for (const watch of [...watchers]) watch();
  });
  const waitForOutput = (stream: keyof typeof output, pattern: RegExp, ms = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no ${pattern} after ${ms} ms in ${stream}:\n${output[stream]}`)),
        ms,
      );
      const finish = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        watchers.delete(watch);
        if (error) reject(error);
        else resolve(match!);
      };
      const watch = () => {
        const match = output[stream].match(pattern);
        if (match) finish(undefined, match);
        else if (child.exitCode !== null || child.signalCode !== null)
          finish(
            new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output.stderr}`),
          );
      };
      watchers.add(watch);
      watch();
    });
  return {
    child,
    pid: child.pid!,
    stderr: () => output.stderr,
    stdout: () => output.stdout,
    waitForStderr: (pattern, ms) => waitForOutput("stderr", pattern, ms),
    waitForStdout: (pattern, ms) => waitForOutput("stdout", pattern, ms),
    kill: (signal) => killProcess(child, signal),
  };
}

async function killProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

/** Polls (the processes under test share only the store and HTTP with the test) until `read` returns a value. */
export async function waitFor<T>(what: string, read: () => Promise<T | undefined>, ms = 110_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Polls `remaining` until it reaches 0, failing only when it has not moved for `stallMs`: a large batch on a loaded
 * machine takes as long as it takes, but a stuck one is caught.
 */
export async function waitForDrain(
  what: string,
  remaining: () => Promise<number>,
  stallMs = 60_000,
): Promise<void> {
  let last = Number.POSITIVE_INFINITY;
  let movedAt = Date.now();
  for (;;) {
    const left = await remaining();
    if (left === 0) return;
    if (left !== last) {
      last = left;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: ${left} left, none done in ${stallMs / 1000} s`);
    }
    await sleep(100);
  }
}

/** A signed push webhook of `sha` to `branch`; returns the ids of the runs it made once the server took it. */
export async function pushWebhook(
  store: Store,
  serverUrl: string,
  push: { secret: string; repository: string; sha: string; branch: string },
): Promise<number[]> {
  return webhookRuns(store, `${serverUrl}/webhooks/github`, {
    event: "push",
    secret: push.secret,
    payload: {
      ref: `refs/heads/${push.branch}`,
      before: "0000000000000000000000000000000000000000",
      after: push.sha,
      repository: { full_name: push.repository },
      sender: { login: "octocat" },
    },
  });
}

export interface ServeOptions {
  dataDir: string;
  databaseUrl?: string;
  port: number;
  args?: string[];
}

/** `hangar serve` with no embedded runner; resolves once it listens. */
export async function startServe(options: ServeOptions): Promise<HangarProcess & { url: string }> {
  const args = [
    "serve",
    "--port",
    String(options.port),
    "--data-dir",
    options.dataDir,
    "--runner-labels",
    "none",
  ];
  if (options.databaseUrl) args.push("--database-url", options.databaseUrl);
  const server = spawnHangar([...args, ...(options.args ?? [])]);
  const match = await server.waitForStderr(/listening on (http:\/\/\S+)/);
  return Object.assign(server, { url: match[1]! });
}

/** Registers a runner (its config in `dataDir`) and starts `hangar runner run`; `env` reaches the jobs it runs. */
/** `hangar runner register` into `dataDir` (its config holds the runner token). */
export async function registerRunner(options: {
  url: string;
  registrationToken: string;
  dataDir: string;
  labels: string[];
  name?: string;
}): Promise<void> {
  const registered = await runHangar([
    ...["runner", "register", "--url", options.url, "--token", options.registrationToken],
    ...["--labels", options.labels.join(","), "--data-dir", options.dataDir],
    ...(options.name === undefined ? [] : ["--name", options.name]),
  ]);
  if (registered.code !== 0) throw new Error(`runner register failed: ${registered.stderr}`);
}

export async function startRunner(options: {
  url: string;
  registrationToken: string;
  dataDir: string;
  name: string;
  labels: string[];
  env?: Record<string, string>;
  /** More `hangar runner run` flags, e.g. the executor. */
  args?: string[];
}): Promise<HangarProcess> {
  await registerRunner(options);
  const runner = spawnHangar(
    ["runner", "run", "--data-dir", options.dataDir, ...(options.args ?? [])],
    options.env,
  );
  await runner.waitForStderr(/waiting for jobs/);
  return runner;
}
