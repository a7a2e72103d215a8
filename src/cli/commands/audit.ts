// `hangar audit verify|query|export|checkpoint|public-key`: the audit trail read straight from the store on this host.
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import {
  auditDir,
  openStore,
  readCheckpointPublicKey,
  readSignedCheckpoint,
  streamAuditEvents,
  verifyAuditChain,
  writeAuditCheckpoint,
  PUBLIC_KEY_FILE,
  type AuditEvent,
  type AuditEventFilter,
  type Store,
} from "../../store/index.js";
import { dataDirOption, databaseUrlOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";

/** A broken chain or a checkpoint that does not hold fails the command like a failed job. */
const CHAIN_BROKEN = ExitCode.JobFailed;

export const auditUsage = `Usage: hangar audit <verify|query|export|checkpoint|public-key> [options]

  verify [--checkpoint FILE [--public-key PEM]] [--json]
        recompute the hash chain; report the first broken link (exit 1) or the head (exit 0). With a checkpoint,
        also prove the chain still holds the signed head (catches a chain rewritten and rehashed since)
  query [--trace RUN-ATTEMPT] [--actor A] [--action X|PREFIX*] [--resource TYPE[:ID]] [--since T] [--until T]
        [--limit N] [--json | --jsonl]
        events oldest first; T is ISO-8601 or a duration back from now (30m, 12h, 7d)
  export [--jsonl] [FILE]   every event as JSON Lines to FILE or stdout (the query filters apply)
  checkpoint [--json]       sign the chain head (Ed25519) into DATA_DIR/audit/checkpoints/; keep copies elsewhere
  public-key                print the public key that verifies this data directory's checkpoints (PEM)

Options:
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

const options = {
  checkpoint: { type: "string" },
  "public-key": { type: "string" },
  trace: { type: "string" },
  actor: { type: "string" },
  action: { type: "string" },
  resource: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
  jsonl: { type: "boolean" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
>["values"];

export async function auditCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  if (values.help) {
    process.stdout.write(auditUsage);
    return ExitCode.Success;
  }
  const [action, ...rest] = positionals;
  const maxPositionals = action === "export" ? 1 : 0;
  if (rest.length > maxPositionals) throw new UsageError(`unexpected argument '${rest[maxPositionals]}'`);
  const dataDir = dataDirOption(values["data-dir"]);
  if (action === "public-key") {
    process.stdout.write(await readCheckpointPublicKey(dataDir));
    return ExitCode.Success;
  }
  const run = action && { verify, query, export: exportEvents, checkpoint }[action];
  if (!run) throw new UsageError(`expected verify, query, export, checkpoint or public-key\n\n${auditUsage}`);
  const store = await openStore({ url: databaseUrlOption(values["database-url"]), dataDir });
  try {
    return await run(store, values, dataDir, rest[0]);
  } finally {
    await store.close();
  }
}

async function verify(store: Store, values: Values, dataDir: string): Promise<number> {
  let checkpoint;
  if (values.checkpoint) {
    const keyFile = values["public-key"] ?? path.join(auditDir(dataDir), PUBLIC_KEY_FILE);
    const [text, publicKey] = await Promise.all([
      readInput("--checkpoint", values.checkpoint),
      readInput("--public-key", keyFile),
    ]);
    try {
      checkpoint = readSignedCheckpoint(text, publicKey);
    } catch (error) {
      process.stderr.write(`hangar audit: checkpoint ${values.checkpoint}: ${(error as Error).message}\n`);
      return CHAIN_BROKEN;
    }
  }
  const result = await verifyAuditChain(store, { checkpoint });
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, checkpoint })}\n`);
  else if (result.broken)
    process.stdout.write(
      `audit chain BROKEN at row ${result.broken.id ?? "-"} (${result.broken.kind}): ${result.broken.message}\n`,
    );
  else
    process.stdout.write(
      `audit chain intact: ${result.count} events, head ${result.head.hash}` +
        (checkpoint ? `; contains checkpoint of event ${checkpoint.count} signed ${checkpoint.at}` : "") +
        "\n",
    );
  return result.broken ? CHAIN_BROKEN : ExitCode.Success;
}

async function query(store: Store, values: Values): Promise<number> {
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
    throw new UsageError(`--limit must be a whole number of at least 1, got '${values.limit}'`);
  const out = process.stdout;
  let count = 0;
  if (values.json) await write(out, '{"events":[');
  for await (const event of streamAuditEvents(store, readFilter(values))) {
    if (limit !== undefined && count >= limit) break;
    if (values.json) await write(out, `${count > 0 ? "," : ""}${JSON.stringify(event)}`);
    else if (values.jsonl) await write(out, `${JSON.stringify(event)}\n`);
    else await write(out, formatRow(event));
    count++;
  }
  if (values.json) await write(out, "]}\n");
  else if (!values.jsonl) process.stderr.write(`${count} event(s)\n`);
  return ExitCode.Success;
}

async function exportEvents(store: Store, values: Values, _dataDir: string, file?: string): Promise<number> {
  const out = file ? createWriteStream(file, { mode: 0o600 }) : process.stdout;
  let count = 0;
  for await (const event of streamAuditEvents(store, readFilter(values))) {
    await write(out, `${JSON.stringify(event)}\n`);
    count++;
  }
  if (file) {
    out.end();
    await once(out, "finish");
    process.stderr.write(`exported ${count} event(s) to ${file}\n`);
  }
  return ExitCode.Success;
}

async function checkpoint(store: Store, values: Values, dataDir: string): Promise<number> {
  // Signing a head that does not verify would vouch for a tampered chain.
  const verified = await verifyAuditChain(store);
  if (verified.broken) {
    process.stderr.write(`hangar audit: not signing a broken chain: ${verified.broken.message}\n`);
    return CHAIN_BROKEN;
  }
  const { checkpoint: signed, file } = await writeAuditCheckpoint(store, dataDir);
  if (values.json) process.stdout.write(`${JSON.stringify({ ...signed, file })}\n`);
  else process.stdout.write(`checkpoint of event ${signed.count} (head ${signed.hash}) written to ${file}\n`);
  return ExitCode.Success;
}

function readFilter(values: Values): AuditEventFilter {
  return {
    trace: values.trace,
    actor: values.actor,
    action: values.action,
    resource: values.resource,
    since: values.since,
    until: values.until,
  };
}

function formatRow(event: AuditEvent): string {
  const resource = `${event.resource.type}:${event.resource.id}`;
  const columns = [
    String(event.seq).padStart(6),
    event.at,
    (event.actor ?? "-").padEnd(16),
    event.action.padEnd(22),
    resource.padEnd(20),
    event.status ?? "-",
    event.trace_id ?? "-",
  ];
  return `${columns.join("  ")}\n`;
}

async function readInput(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Writes with backpressure, so an export of millions of events holds little in memory. */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}
