// `hangar runner register|run`: registers this machine with a hangar server and runs the jobs it hands out.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { registerWithServer, runnerLoop } from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import {
  executorOptions,
  executorUsage,
  isolatedBaseEnv,
  isolatedJobsDir,
  openPlacement,
} from "../executor-options.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { runnerTokenCommand } from "./runner-token.js";

export const runnerUsage = `Usage: hangar runner token [--ttl-minutes N]   (on the server: mint a registration token)
       hangar runner register --url URL --token REG_TOKEN --labels a,b,c [--name N] [--ephemeral] [--config FILE]
       hangar runner run [--once] [--config FILE] [--data-dir DIR] [executor options]

register  exchanges a registration token for a runner token, saved in the config file (mode 0600)
run       takes jobs whose runs-on labels this runner has, one at a time; Ctrl-C stops after the current job,
          a second Ctrl-C cancels it

Options:
      --config FILE    the runner's config (default: <data dir>/runner.json)
      --data-dir DIR   jobs, action store, caches (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --once           take one job, then exit (an ephemeral runner)

${executorUsage("sandbox")}`;

interface RunnerConfig {
  url: string;
  runnerId: string;
  runnerToken: string;
  name: string;
  labels: string[];
}

export async function runnerCommand(argv: string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === "token") return runnerTokenCommand(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      labels: { type: "string" },
      name: { type: "string" },
      ephemeral: { type: "boolean" },
      config: { type: "string" },
      "data-dir": { type: "string" },
      once: { type: "boolean" },
      ...executorOptions,
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(runnerUsage);
    return ExitCode.Success;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const dataDir = dataDirOption(values["data-dir"]);
  const configFile = values.config ? path.resolve(values.config) : path.join(dataDir, "runner.json");
  if (subcommand === "register") {
    if (!values.url || !values.token || !values.labels) {
      throw new UsageError("runner register needs --url, --token and --labels");
    }
    const name = values.name ?? os.hostname();
    const labels = values.labels
      .split(",")
      .map((label) => label.trim())
      .filter(Boolean);
    const registered = await registerWithServer(values.url, {
      token: values.token,
      name,
      labels,
      ephemeral: values.ephemeral ?? false,
    });
    const config: RunnerConfig = { url: values.url, ...registered, name, labels };
    await mkdir(path.dirname(configFile), { recursive: true });
    // The runner token is a credential: only this user may read it.
    await writeFile(configFile, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
    await chmod(configFile, 0o600);
    process.stderr.write(
      `hangar runner: registered as runner ${registered.runnerId}; config in ${configFile}\n`,
    );
    return ExitCode.Success;
  }
  if (subcommand === "run") return runRunner(await readConfig(configFile), dataDir, values);
  throw new UsageError(`unknown runner command '${subcommand ?? ""}'\n\n${runnerUsage}`);
}

async function readConfig(file: string): Promise<RunnerConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`no runner config at ${file}: run 'hangar runner register' first`);
  }
  return JSON.parse(text) as RunnerConfig;
}

async function runRunner(
  config: RunnerConfig,
  dataDir: string,
  values: Parameters<typeof openPlacement>[0] & { once?: boolean },
): Promise<number> {
  const isOnce = values.once ?? false;
  const say = (message: string) => process.stderr.write(`hangar runner: ${message}\n`);
  const opened = await openPlacement(values, {
    dataDir,
    jobsDir: await isolatedJobsDir(path.join(dataDir, "runner")),
    defaultKind: "sandbox",
    warn: say,
  });
  for (const line of opened.describe) say(line);
  const stop = new AbortController();
  const cancel = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      process.stderr.write("hangar runner: stopping after the current job (Ctrl-C again cancels it)\n");
      stop.abort();
    } else cancel.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    process.stderr.write(
      `hangar runner: ${config.name} (${config.labels.join(", ")}) waiting for jobs at ${config.url}\n`,
    );
    const result = await runnerLoop({
      url: config.url,
      runnerToken: config.runnerToken,
      once: isOnce,
      stopSignal: stop.signal,
      cancelSignal: cancel.signal,
      host: {
        ...opened.placement,
        dataDir,
        baseEnv:
          opened.placement.executor.name === "host"
            ? { ...(process.env as Record<string, string>) }
            : isolatedBaseEnv(process.env),
        runnerName: config.name,
        stepDebug: false,
      },
      onJobEvent: (event, payload) => {
        if (event === "log:line") {
          const { job, line } = payload as { job: { key: string }; line: { text: string } };
          process.stderr.write(`[${job.key}] ${line.text}\n`);
        }
      },
      log: (message) => process.stderr.write(`hangar runner: ${message}\n`),
    });
    const failed = result.jobs.some((job) => job.result.conclusion === "failure");
    return isOnce && failed ? ExitCode.JobFailed : ExitCode.Success;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    await opened.close();
  }
}
