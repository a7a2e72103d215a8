// `hangar secret` and `hangar var`: set, ls and rm at repository or environment scope, directly on the server's
// store (like `hangar repo add`); the actor recorded is `local:<os user>`. Secret values are read from a flag, a
// file or stdin, sealed here, and never printed.
import { readFile } from "node:fs/promises";
import { SecretError, SecretKeyring, setSecret, setVariable, normalizeValueName } from "../server/index.js";
import {
  deleteScopedValue,
  getRepository,
  listSecrets,
  listVariables,
  openStore,
  type Store,
} from "../store/index.js";
import { dataDirOption, databaseUrlOption } from "./data-location.js";
import { ExitCode, UsageError } from "./exit-codes.js";
import { formatTable } from "./format-table.js";
import { localActor } from "./local-actor.js";

export type ValueKind = "secret" | "variable";

export const commonValueOptions = {
  env: { type: "string" },
  value: { type: "string" },
  "from-file": { type: "string" },
  json: { type: "boolean" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed common options. */
export interface ValueOptions {
  env?: string;
  value?: string;
  "from-file"?: string;
  json?: boolean;
  "data-dir"?: string;
  "database-url"?: string;
}

export interface ValueCommandContext {
  kind: ValueKind;
  usage: string;
  values: ValueOptions;
  positionals: string[];
}

export async function openCommandStore(values: ValueOptions): Promise<{
  store: Store;
  dataDir: string;
}> {
  const dataDir = dataDirOption(values["data-dir"]);
  return { store: await openStore({ url: databaseUrlOption(values["database-url"]), dataDir }), dataDir };
}

/** set, ls, rm; `action` has been checked by the caller. */
export async function runValueAction(action: string, context: ValueCommandContext): Promise<number> {
  const { kind, values, positionals } = context;
  const [repositoryName, name] = positionals;
  if (!repositoryName || ((action === "set" || action === "rm") && !name)) {
    throw new UsageError(
      `expected '${action} OWNER/NAME${action === "ls" ? "" : ` ${kind.toUpperCase()}_NAME`}'\n\n${context.usage}`,
    );
  }
  if (action === "set" && values.value !== undefined && values["from-file"] !== undefined) {
    throw new UsageError("give the value with --value or --from-file, not both");
  }
  const value = action === "set" ? await readValue(values) : "";
  const { store, dataDir } = await openCommandStore(values);
  try {
    const repository = await getRepository(store, repositoryName);
    if (!repository)
      throw new UsageError(`repository '${repositoryName}' is not registered (hangar repo add)`);
    const scope = { repositoryId: repository.id, environment: values.env ?? null };
    const where = values.env ? `environment '${values.env}' of ${repository.name}` : repository.name;
    const actor = localActor();
    if (action === "set") {
      const stored =
        kind === "secret"
          ? await setSecret(store, await SecretKeyring.load({ dataDir, env: process.env }), {
              ...scope,
              name: name!,
              value,
              actor,
            })
          : await setVariable(store, { ...scope, name: name!, value, actor });
      process.stderr.write(`hangar: ${kind} ${stored} set on ${where}\n`);
      return ExitCode.Success;
    }
    if (action === "rm") {
      const stored = normalizeValueName(kind, name!);
      if (!(await deleteScopedValue(store, { ...scope, kind, name: stored, actor }))) {
        process.stderr.write(`hangar: ${where} has no ${kind} ${stored}\n`);
        return ExitCode.JobFailed;
      }
      process.stderr.write(`hangar: ${kind} ${stored} removed from ${where}\n`);
      return ExitCode.Success;
    }
    const entries =
      kind === "secret"
        ? (await listSecrets(store, scope)).map((entry) => ({ ...entry, value: undefined }))
        : await listVariables(store, scope);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ [`${kind}s`]: entries }, null, 2)}\n`);
    } else if (entries.length > 0) {
      const header = ["NAME", ...(kind === "variable" ? ["VALUE"] : []), "UPDATED", "CREATED"];
      const rows = entries.map((entry) => [
        entry.name,
        ...(kind === "variable" ? [entry.value ?? ""] : []),
        entry.updatedAt,
        entry.createdAt,
      ]);
      process.stdout.write(formatTable([header, ...rows]));
    }
    return ExitCode.Success;
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    process.stderr.write(`hangar: ${error.message}\n`);
    return error.statusCode < 500 ? ExitCode.Usage : ExitCode.Internal;
  } finally {
    await store.close();
  }
}

/** --value, --from-file (kept byte for byte), or stdin (one trailing newline dropped, as `echo` adds one). */
async function readValue(values: ValueOptions): Promise<string> {
  if (values.value !== undefined) return values.value;
  if (values["from-file"] !== undefined) return readFile(values["from-file"], "utf8");
  if (process.stdin.isTTY) process.stderr.write("value (end with Ctrl-D): ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
