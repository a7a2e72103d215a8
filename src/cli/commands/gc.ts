// `hangar gc`: prunes the data directory's artifacts, caches and unreferenced blobs; prints what went.
import { parseArgs } from "node:util";
import {
  collectActionGarbage,
  ContentStore,
  type ActionGcReport,
  type GcReport,
} from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";

export const gcUsage = `Usage: hangar gc [options]

Deletes artifacts past their retention, caches not used for 7 days, the least recently used
caches over 10 GiB in total (GitHub's limits), then stored files nothing references any more,
and the action store's files that no stored ref points at.

Options:
      --data-dir DIR   artifacts and caches (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --json           print one JSON report on stdout instead of the table
`;

/** Binary units, as GitHub states its cache limit (10 GiB); no library needed for five lines. */
function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatReport(report: GcReport & { actions: ActionGcReport }, dataDir: string): string {
  const lines = [`Data directory: ${dataDir}`];
  for (const artifact of report.artifacts) {
    lines.push(
      `removed artifact ${artifact.runId}/${artifact.name} (${formatBytes(artifact.size)}, expired ${artifact.expiresAt})`,
    );
  }
  for (const cache of report.caches) {
    const why = cache.reason === "unused" ? `unused since ${cache.lastUsedAt}` : "over the cache size limit";
    lines.push(`removed cache ${cache.key} (${formatBytes(cache.size)}, ${why})`);
  }
  lines.push(
    `Removed ${report.artifacts.length} artifact(s), ${report.caches.length} cache(s), ` +
      `${report.blobs.count} blob(s), ${report.tempFiles.count} temp file(s) and ${report.actions.trees.count} ` +
      `action tree(s); freed ${formatBytes(report.bytesFreed)}.`,
  );
  return lines.join("\n") + "\n";
}

export async function gcCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(gcUsage);
    return ExitCode.Success;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const store = new ContentStore({ dataDir: dataDirOption(values["data-dir"]) });
  const contentReport = await store.gc();
  const actions = await collectActionGarbage(store.dataDir, new Date());
  const report = {
    ...contentReport,
    actions,
    bytesFreed: contentReport.bytesFreed + actions.trees.bytes,
  };
  process.stdout.write(
    values.json
      ? JSON.stringify({ dataDir: store.dataDir, ...report }, null, 2) + "\n"
      : formatReport(report, store.dataDir),
  );
  return ExitCode.Success;
}
