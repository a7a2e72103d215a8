// `hangar var set|ls|rm`: configuration variables (the `vars` context) at repository or environment scope.
import { parseArgs } from "node:util";
import { ExitCode, UsageError } from "../exit-codes.js";
import { commonValueOptions, runValueAction } from "../scoped-value-command.js";

export const varUsage = `Usage: hangar var set OWNER/NAME VAR_NAME [--env ENV] [--value V | --from-file F]
       hangar var ls OWNER/NAME [--env ENV] [--json]
       hangar var rm OWNER/NAME VAR_NAME [--env ENV]

Variables are not secret: ls shows their values. A job sees the repository's variables overlaid by its
environment's as the vars context. Names follow GitHub's rules and are upper-cased.

Options:
  --env ENV            an environment's variable instead of the repository's
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export async function varCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: commonValueOptions,
  });
  if (values.help) {
    process.stdout.write(varUsage);
    return ExitCode.Success;
  }
  const [action, ...rest] = positionals;
  if (action !== "set" && action !== "ls" && action !== "rm") {
    throw new UsageError(`expected 'var set|ls|rm'\n\n${varUsage}`);
  }
  return runValueAction(action, { kind: "variable", usage: varUsage, values, positionals: rest });
}
