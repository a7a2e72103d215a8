// `hangar actions`: adds actions to the action store and lists them. The store itself lives in the runner.
import path from "node:path";
import { parseArgs } from "node:util";
import { ActionStoreError, addAction, listActions, type StoredAction } from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";

export const actionsUsage = `Usage: hangar actions <add|ls> [options]

Manages the action store: a step's 'uses: owner/repo@ref' runs the action stored here, fetched
from GitHub on first use unless 'hangar run --offline'; add ahead of time with 'add'.

  hangar actions add OWNER/REPO@REF --from DIR|GIT_URL [--data-dir DIR]
      Adds the action as OWNER/REPO@REF and, when REF resolves to a commit, as OWNER/REPO@SHA too.
      --from GIT_URL  clones and takes the committed tree at REF (a tag, a branch or a full commit SHA);
                      a commit with a missing or unreadable object is refused
      --from DIR      a bare repository, or a work tree whose root has REF: its committed tree at REF;
                      any other directory: copied as it is (without .git), recorded at its git HEAD
                      if it has one, else at a sha256 digest of its files

  hangar actions ls [--data-dir DIR] [--json]
      Lists the stored actions with the SHA each ref resolved to.

Options:
      --data-dir DIR  hangar's data directory (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --json          ls: print one JSON document instead of the table
`;

export async function actionsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [subcommand, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(actionsUsage);
    return ExitCode.Success;
  }
  const dataDir = dataDirOption(values["data-dir"]);
  try {
    switch (subcommand) {
      case "add": {
        if (rest.length !== 1) throw new UsageError(`add expects one OWNER/REPO@REF, got ${rest.length}`);
        if (!values.from) throw new UsageError("add needs --from DIR|GIT_URL");
        const stored = await addAction(dataDir, rest[0]!, values.from);
        process.stdout.write(`${formatAdded(stored)}\n`);
        return ExitCode.Success;
      }
      case "ls":
        if (rest.length > 0) throw new UsageError(`ls takes no arguments, got ${rest.join(" ")}`);
        return await printList(dataDir, values.json ?? false);
      default:
        throw new UsageError(
          subcommand
            ? `unknown subcommand '${subcommand}'\n\n${actionsUsage}`
            : `expected a subcommand\n\n${actionsUsage}`,
        );
    }
  } catch (error) {
    if (!(error instanceof ActionStoreError)) throw error;
    process.stderr.write(`hangar actions: error ${error.code}: ${error.message}\n`);
    return ExitCode.Usage;
  }
}

function formatAdded(stored: StoredAction): string {
  const name = `${stored.owner}/${stored.repo}`;
  if (!stored.isCommit) {
    return `added ${name}@${stored.ref} from ${stored.source} (not a git commit; files digest sha256:${stored.sha})`;
  }
  const alias = stored.sha === stored.ref.toLowerCase() ? "" : `, also as ${name}@${stored.sha}`;
  return `added ${name}@${stored.ref} at commit ${stored.sha} from ${stored.source}${alias}`;
}

async function printList(dataDir: string, isJson: boolean): Promise<number> {
  const actions = await listActions(dataDir);
  if (isJson) {
    process.stdout.write(`${JSON.stringify({ dataDir, actions }, null, 2)}\n`);
    return ExitCode.Success;
  }
  if (actions.length === 0) {
    process.stderr.write(
      `no actions in ${path.join(dataDir, "actions")}; add one with 'hangar actions add'\n`,
    );
    return ExitCode.Success;
  }
  const rows = [
    ["ACTION", "SHA", "SOURCE", "ADDED"],
    ...actions.map((a) => [
      `${a.owner}/${a.repo}@${a.ref}`,
      a.isCommit ? a.sha : `sha256:${a.sha.slice(0, 12)} (not a commit)`,
      a.source,
      a.addedAt,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    process.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
  return ExitCode.Success;
}
