// `hangar serve`: the self-hosted service (webhooks in, runs, JSON API) on the embedded store or PostgreSQL.
import { parseArgs } from "node:util";
import { startServer } from "../../server/index.js";
import { listApiTokens } from "../../store/index.js";
import { dataDirOption, databaseUrlOption } from "../data-location.js";
import {
  gitHubReportingOptions,
  gitHubReportingUsage,
  readGitHubReporting,
} from "../github-reporting-options.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { readActionSource } from "../action-source-options.js";
import { readResilience, resilienceOptions, resilienceUsage } from "../resilience-options.js";
import { executorOptions, executorUsage, isolatedJobsDir, openPlacement } from "../executor-options.js";

/** GitHub-hosted labels included, so workflows written for GitHub run here unchanged (act does the same). */
const defaultEmbeddedLabels = [
  "self-hosted",
  "linux",
  "x64",
  "ubuntu-latest",
  "ubuntu-24.04",
  "ubuntu-22.04",
];

function parseLabels(value: string | undefined): string[] {
  if (value === undefined) return defaultEmbeddedLabels;
  if (value === "none") return [];
  return value
    .split(",")
    .map((label) => label.trim())
    .filter(Boolean);
}

export const serveUsage = `Usage: hangar serve [options]

Options:
  --host HOST          address to listen on (default: 127.0.0.1)
  --port N             port (default: 8080; 0 picks a free one)
  --data-dir DIR       store, mirrors, action store, artifacts (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
  --runner-labels L    labels of the server's embedded runner (default: ${defaultEmbeddedLabels.join(",")});
                       "none" starts no embedded runner: only registered \`hangar runner\`s run jobs
  --audit-checkpoint-interval S
                       seconds between signed audit checkpoints in DATA_DIR/audit/checkpoints, taken when the
                       trail grew (default: 3600; 0: none)
${gitHubReportingUsage}  --offline            runners fetch no action: one missing from a runner's action store fails its step
                       (otherwise actions come from GitHub at --github-url, default https://github.com, on first use)
${resilienceUsage}
The embedded runner's executor (ignored with --runner-labels none):
${executorUsage("sandbox")}`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      ...gitHubReportingOptions,
      ...resilienceOptions,
      ...executorOptions,
      "runner-labels": { type: "string" },
      "audit-checkpoint-interval": { type: "string" },
      offline: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(serveUsage);
    return ExitCode.Success;
  }
  const port = Number(values.port ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got ${values.port}`);
  const checkpointSeconds = Number(values["audit-checkpoint-interval"] ?? "3600");
  if (!Number.isInteger(checkpointSeconds) || checkpointSeconds < 0)
    throw new UsageError(
      `--audit-checkpoint-interval must be a whole number of seconds, got '${values["audit-checkpoint-interval"]}'`,
    );
  const github = await readGitHubReporting(values, process.env);
  const dataDir = dataDirOption(values["data-dir"]);
  const embeddedRunnerLabels = parseLabels(values["runner-labels"]);
  const say = (message: string) => process.stderr.write(`hangar serve: ${message}\n`);
  const opened =
    embeddedRunnerLabels.length === 0
      ? undefined
      : await openPlacement(values, {
          dataDir,
          jobsDir: await isolatedJobsDir(dataDir),
          defaultKind: "sandbox",
          warn: say,
        });
  for (const line of opened?.describe ?? []) say(`embedded runner: ${line}`);
  const server = await startServer({
    dataDir,
    databaseUrl: databaseUrlOption(values["database-url"]),
    host: values.host ?? "127.0.0.1",
    port,
    github,
    actionSource: readActionSource(values),
    logger: true,
    embeddedRunnerLabels,
    ...(opened ? { embeddedRunnerPlacement: opened.placement } : {}),
    resilience: readResilience(values),
    auditCheckpointIntervalMs: checkpointSeconds * 1000,
  }).catch(async (error: unknown) => {
    await opened?.close();
    throw error;
  });
  process.stderr.write(
    `hangar serve: listening on ${server.url} (webhooks at ${server.url}/webhooks/github)\n`,
  );
  if (!(await listApiTokens(server.store)).some((token) => token.revokedAt === null)) {
    const dataDir = values["data-dir"] ? ` --data-dir ${values["data-dir"]}` : "";
    process.stderr.write(
      "hangar serve: no API tokens yet, so the API refuses every request; create the first admin token on this " +
        `host with:\n  hangar token create --user admin --role admin${dataDir}` +
        `${values["database-url"] ? " --database-url URL" : ""}\n`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write("hangar serve: stopping after the runs in progress finish\n");
  await server.close();
  await opened?.close();
  return ExitCode.Success;
}
