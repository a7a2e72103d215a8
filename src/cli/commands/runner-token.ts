// `hangar runner token`: mints a one-time registration token on the server's store, for `hangar runner register`.
import { parseArgs } from "node:util";
import { mintRegistrationToken, openStore } from "../../store/index.js";
import { dataDirOption, databaseUrlOption } from "../data-location.js";
import { localActor } from "../local-actor.js";
import { ExitCode, UsageError } from "../exit-codes.js";

export const runnerTokenUsage = `Usage: hangar runner token [--ttl-minutes N] [--data-dir DIR] [--database-url URL]

Prints a registration token (shown once, stored hashed, single use, valid 60 minutes by default).
`;

export async function runnerTokenCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "ttl-minutes": { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(runnerTokenUsage);
    return ExitCode.Success;
  }
  const ttlMinutes = Number(values["ttl-minutes"] ?? "60");
  if (!(ttlMinutes > 0))
    throw new UsageError(`--ttl-minutes must be a positive number, got ${values["ttl-minutes"]}`);
  const store = await openStore({
    url: databaseUrlOption(values["database-url"]),
    dataDir: dataDirOption(values["data-dir"]),
  });
  try {
    const { token, expiresAt } = await mintRegistrationToken(store, {
      ttlMs: ttlMinutes * 60_000,
      actor: localActor(),
    });
    process.stdout.write(`${token}\n`);
    process.stderr.write(`hangar runner token: valid until ${expiresAt}, for one runner\n`);
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}
