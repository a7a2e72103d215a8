// `hangar secret set|ls|rm|rotate-key`: encrypted secrets at repository or environment scope, on the server's store.
import { parseArgs } from "node:util";
import { rotateSecretKey, SecretError, SecretKeyring } from "../../server/index.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { localActor } from "../local-actor.js";
import {
  commonValueOptions,
  openCommandStore,
  runValueAction,
  type ValueOptions,
} from "../scoped-value-command.js";

export const secretUsage = `Usage: hangar secret set OWNER/NAME SECRET_NAME [--env ENV] [--value V | --from-file F]
       hangar secret ls OWNER/NAME [--env ENV] [--json]
       hangar secret rm OWNER/NAME SECRET_NAME [--env ENV]
       hangar secret rotate-key [--new-key-file F]

set          stores the value encrypted (AES-256-GCM); without --value or --from-file it is read from stdin
             (one trailing newline dropped); names are GitHub's: letters, digits, _, not GITHUB_*, upper-cased
ls           names and timestamps only: values are never shown
rm           deletes it
rotate-key   re-encrypts every secret under a new key in one transaction; the key file in the data dir is
             replaced, or with $HANGAR_SECRET_KEY the new key is written to --new-key-file F

The key: $HANGAR_SECRET_KEY (base64 of 32 bytes), else DATA_DIR/secret-key, created mode 0600 when missing.

Options:
  --env ENV            an environment's secret instead of the repository's
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export async function secretCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...commonValueOptions, "new-key-file": { type: "string" } },
  });
  if (values.help) {
    process.stdout.write(secretUsage);
    return ExitCode.Success;
  }
  const [action, ...rest] = positionals;
  if (action === "rotate-key") return rotateKey(values);
  if (action !== "set" && action !== "ls" && action !== "rm") {
    throw new UsageError(`expected 'secret set|ls|rm|rotate-key'\n\n${secretUsage}`);
  }
  return runValueAction(action, { kind: "secret", usage: secretUsage, values, positionals: rest });
}

async function rotateKey(values: ValueOptions & { "new-key-file"?: string }): Promise<number> {
  const { store, dataDir } = await openCommandStore(values);
  try {
    const keyring = await SecretKeyring.load({ dataDir, env: process.env });
    const rotated = await rotateSecretKey(store, keyring, {
      actor: localActor(),
      newKeyFile: values["new-key-file"],
    });
    process.stderr.write(
      `hangar: ${rotated.secrets} secrets re-encrypted under key ${rotated.keyId}; the key is in ${rotated.keyLocation}\n`,
    );
    if (!keyring.isFromFile) {
      process.stderr.write(
        `hangar: set ${"$"}HANGAR_SECRET_KEY to the content of ${rotated.keyLocation} and restart every hangar process\n`,
      );
    }
    return ExitCode.Success;
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    process.stderr.write(`hangar: ${error.message}\n`);
    return ExitCode.Internal;
  } finally {
    await store.close();
  }
}
