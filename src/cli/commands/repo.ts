// `hangar repo add`: registers a repository whose webhooks the server accepts and whose workflows it runs.
import path from "node:path";
import { parseArgs } from "node:util";
import { insertRepository, openStore } from "../../store/index.js";
import { dataDirOption, databaseUrlOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";

export const repoUsage = `Usage: hangar repo add OWNER/NAME --git URL_OR_PATH --secret WEBHOOK_SECRET [options]

Options:
  --default-branch B   the branch schedule events run on (default: main)
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export async function repoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      git: { type: "string" },
      secret: { type: "string" },
      "default-branch": { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(repoUsage);
    return ExitCode.Success;
  }
  const [action, name] = positionals;
  if (action !== "add" || !name) throw new UsageError(`expected 'repo add OWNER/NAME'\n\n${repoUsage}`);
  if (!/^[\w.-]+\/[\w.-]+$/.test(name))
    throw new UsageError(`repository name must be OWNER/NAME, got '${name}'`);
  if (!values.git) throw new UsageError("--git URL_OR_PATH is required");
  if (!values.secret) throw new UsageError("--secret is required: GitHub signs every webhook with it");
  const gitUrl =
    /^[a-z]+:\/\//.test(values.git) || values.git.includes("@") ? values.git : path.resolve(values.git);
  const store = await openStore({
    url: databaseUrlOption(values["database-url"]),
    dataDir: dataDirOption(values["data-dir"]),
  });
  try {
    const repository = await insertRepository(store, {
      name,
      gitUrl,
      webhookSecret: values.secret,
      defaultBranch: values["default-branch"],
    });
    process.stdout.write(`added ${repository.name} (${repository.gitUrl})\n`);
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}
