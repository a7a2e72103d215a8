// `hangar token create|ls|revoke`: API tokens with roles, managed on the server host directly against the store.
import { parseArgs } from "node:util";
import {
  API_TOKEN_ROLES,
  createApiToken,
  listApiTokens,
  openStore,
  revokeApiToken,
  StoreError,
  type ApiTokenRecord,
  type ApiTokenRole,
  type NewApiTokenInput,
  type Store,
} from "../../store/index.js";
import { dataDirOption, databaseUrlOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { localActor } from "../local-actor.js";

export const tokenUsage = `Usage: hangar token create --user U --role ROLE [--env E1,E2] [--expires 30d|ISO-DATE]
       hangar token ls [--json]
       hangar token revoke ID

create   prints a new API token once on stdout (only its SHA-256 is stored); send it as Authorization: Bearer
ls       lists tokens (never the tokens themselves)
revoke   the token stops working at once

Roles: viewer (read), operator (dispatch, re-run, cancel), approver (approve the --env environments; '*' for all),
       admin (everything)

Options:
  --user U             who the token acts as: the actor recorded for what it does
  --role ROLE          ${API_TOKEN_ROLES.join(", ")}
  --env E1,E2          an approver's environments
  --expires D          a duration (90m, 12h, 30d, 8w) or an ISO-8601 date; default: never
  --json               ls: one JSON document
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      user: { type: "string" },
      role: { type: "string" },
      env: { type: "string" },
      expires: { type: "string" },
      json: { type: "boolean" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(tokenUsage);
    return ExitCode.Success;
  }
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}\n\n${tokenUsage}`);
  const work = planAction(action, id, values);
  const store = await openStore({
    url: databaseUrlOption(values["database-url"]),
    dataDir: dataDirOption(values["data-dir"]),
  });
  try {
    return await work(store);
  } catch (error) {
    if (
      error instanceof StoreError &&
      (error.code === "STORE_INVALID_ARGUMENT" || error.code === "STORE_NOT_FOUND")
    )
      throw new UsageError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

interface TokenValues {
  user?: string;
  role?: string;
  env?: string;
  expires?: string;
  json?: boolean;
}

/** Checks the arguments before the store opens, so a usage error leaves no trace. */
function planAction(
  action: string | undefined,
  id: string | undefined,
  values: TokenValues,
): (store: Store) => Promise<number> {
  switch (action) {
    case "create": {
      if (id !== undefined) throw new UsageError(`'token create' takes no positional argument, got '${id}'`);
      const input = readCreateInput(values);
      return async (store) => {
        const { token, record } = await createApiToken(store, input);
        // stdout carries the token alone, so `TOKEN=$(hangar token create ...)` captures it.
        process.stdout.write(`${token}\n`);
        process.stderr.write(
          `hangar token: created token ${record.id} for ${record.user} (${record.role}` +
            `${record.environments.length > 0 ? ` on ${record.environments.join(",")}` : ""})` +
            `, ${record.expiresAt ? `expires ${record.expiresAt}` : "never expires"}; it is shown only this once\n`,
        );
        return ExitCode.Success;
      };
    }
    case "ls":
      if (id !== undefined) throw new UsageError(`'token ls' takes no positional argument, got '${id}'`);
      return async (store) => {
        const tokens = (await listApiTokens(store)).map((token) => ({ ...token, state: stateOf(token) }));
        process.stdout.write(values.json ? `${JSON.stringify(tokens, null, 2)}\n` : renderTable(tokens));
        return ExitCode.Success;
      };
    case "revoke": {
      const tokenId = Number(id);
      if (!Number.isInteger(tokenId) || tokenId < 1)
        throw new UsageError(`expected 'token revoke ID' with a numeric token id, got '${id ?? ""}'`);
      return async (store) => {
        const revoked = await revokeApiToken(store, { id: tokenId, actor: localActor() });
        process.stderr.write(
          revoked
            ? `hangar token: revoked token ${tokenId} (${revoked.user})\n`
            : `hangar token: token ${tokenId} was already revoked\n`,
        );
        return ExitCode.Success;
      };
    }
    default:
      throw new UsageError(`expected 'token create|ls|revoke'\n\n${tokenUsage}`);
  }
}

function readCreateInput(values: TokenValues): NewApiTokenInput {
  if (!values.user) throw new UsageError("--user is required: the token acts as this user");
  if (!values.role) throw new UsageError(`--role is required: one of ${API_TOKEN_ROLES.join(", ")}`);
  if (!(API_TOKEN_ROLES as readonly string[]).includes(values.role))
    throw new UsageError(`--role must be one of ${API_TOKEN_ROLES.join(", ")}, got '${values.role}'`);
  const environments = (values.env ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  return {
    user: values.user,
    role: values.role as ApiTokenRole,
    environments,
    ...(values.expires !== undefined ? { expires: readExpires(values.expires) } : {}),
    actor: localActor(),
  };
}

const DURATION_UNITS_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d` counts from the database's clock; an ISO date is absolute. */
function readExpires(text: string): NonNullable<NewApiTokenInput["expires"]> {
  const duration = /^(\d+)([mhdw])$/.exec(text);
  if (duration) return { inMs: Number(duration[1]) * DURATION_UNITS_MS[duration[2]!]! };
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return { at: new Date(text) };
  throw new UsageError(
    `--expires must be a duration like 30d (m, h, d, w) or an ISO-8601 date, got '${text}'`,
  );
}

type TokenState = "active" | "expired" | "revoked";

/** For display only; the server decides expiry with the database's clock. */
function stateOf(token: ApiTokenRecord): TokenState {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return "expired";
  return "active";
}

function renderTable(tokens: (ApiTokenRecord & { state: TokenState })[]): string {
  if (tokens.length === 0) return "no API tokens; create one with 'hangar token create --user U --role R'\n";
  return formatTable([
    ["ID", "USER", "ROLE", "ENVIRONMENTS", "STATE", "CREATED", "EXPIRES", "LAST USED"],
    ...tokens.map((t) => [
      String(t.id),
      t.user,
      t.role,
      t.environments.join(",") || "-",
      t.state,
      t.createdAt,
      t.expiresAt ?? "never",
      t.lastUsedAt ?? "never",
    ]),
  ]);
}
