// `hangar deployments OWNER/NAME [ENV]`: the jobs that ran in an environment, newest first, from the server's store.
import { parseArgs } from "node:util";
import { listDeployments } from "../../store/index.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { openCommandStore } from "../scoped-value-command.js";
import { findRepository } from "./env.js";

export const deploymentsUsage = `Usage: hangar deployments OWNER/NAME [ENV] [--limit N] [--json]

Lists deployments (jobs that ran in an environment): environment, ref, SHA, run, job, status and URL, newest first.

Options:
  --limit N            at most N (default 50)
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export async function deploymentsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      limit: { type: "string" },
      json: { type: "boolean" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(deploymentsUsage);
    return ExitCode.Success;
  }
  const [repositoryName, environment] = positionals;
  if (!repositoryName) throw new UsageError(`expected 'deployments OWNER/NAME [ENV]'\n\n${deploymentsUsage}`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number`);
  const { store } = await openCommandStore(values);
  try {
    const repository = await findRepository(store, repositoryName);
    const deployments = await listDeployments(store, {
      repositoryId: repository.id,
      ...(environment ? { environment } : {}),
      limit,
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ deployments }, null, 2)}\n`);
      return ExitCode.Success;
    }
    const rows = deployments.map((d) => [
      d.createdAt,
      d.environment,
      d.ref.replace(/^refs\/(heads|tags)\//, ""),
      d.sha.slice(0, 12),
      `${d.runId}#${d.attempt}`,
      d.jobKey,
      d.status,
      d.url ?? "-",
    ]);
    process.stdout.write(
      formatTable([["CREATED", "ENVIRONMENT", "REF", "SHA", "RUN", "JOB", "STATUS", "URL"], ...rows]),
    );
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}
