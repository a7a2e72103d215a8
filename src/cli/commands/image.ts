// `hangar image`: the local OCI image store container jobs run from (pull, import, ls, rm, gc). The store lives in the runner.
import { parseArgs } from "node:util";
import {
  ContainerError,
  defaultImageStoreDir,
  defaultInsecureRegistries,
  ImageStore,
  parseBytes,
  type ImageGcReport,
  type ListedImage,
  type RegistryCredentials,
  type UnpackedImage,
} from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";

export const imageUsage = `Usage: hangar image <ls|pull|rm|import|gc> [options]

The local image store that container jobs, services and Docker actions run from (DATA_DIR/images).
No Docker daemon: images are copied with skopeo and unpacked with umoci, once per digest.

  hangar image pull REFERENCE [--username U --password-stdin] [--insecure]
      Pulls from any registry; 'postgres' means docker.io/library/postgres:latest, as in Docker.
      Layers already in the store are not downloaded again.
  hangar image import DIR[:TAG] | FILE.tar [REFERENCE]
      Imports an OCI layout, an OCI archive or a 'docker save' tarball (for hosts without network).
  hangar image ls
      Lists images with their references, digest, size and last use.
  hangar image rm REFERENCE|DIGEST...
      Forgets a reference (and removes the image when nothing else names it) or removes an image by digest.
      An image a running job uses is kept (error IMAGE_IN_USE).
  hangar image gc [--max-age-days N] [--max-size SIZE]
      Removes images unused for N days (default 30), then the least recently used over SIZE (default 20g).

Options:
      --data-dir DIR       hangar's data directory (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --username U         pull: registry user; the password is read from stdin (--password-stdin)
      --password-stdin     pull: read the registry password from stdin, never from the command line
      --insecure           pull: no TLS verification, plain HTTP allowed (always so for ${defaultInsecureRegistries.join(", ")})
      --json               print one JSON document instead of the table
`;

export async function imageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      username: { type: "string" },
      "password-stdin": { type: "boolean" },
      insecure: { type: "boolean" },
      "max-age-days": { type: "string" },
      "max-size": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [subcommand, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(imageUsage);
    return ExitCode.Success;
  }
  const store = new ImageStore({
    dir: defaultImageStoreDir(dataDirOption(values["data-dir"])),
    onEvent: (event) => {
      if (event.type === "pulled") process.stderr.write(`pulled ${event.reference} (${event.digest})\n`);
      if (event.type === "unpacked") process.stderr.write(`unpacked ${event.digest}\n`);
    },
  });
  const isJson = values.json ?? false;
  try {
    switch (subcommand) {
      case "pull": {
        if (rest.length !== 1) throw new UsageError(`pull expects one REFERENCE, got ${rest.length}`);
        const credentials = await readCredentials(values.username, values["password-stdin"] ?? false);
        const image = await store.ensure(rest[0]!, {
          pull: "always",
          field: "REFERENCE",
          ...(credentials ? { credentials } : {}),
          ...(values.insecure ? { tlsVerify: false } : {}),
        });
        printImage(image, isJson);
        return ExitCode.Success;
      }
      case "import": {
        if (rest.length < 1 || rest.length > 2) {
          throw new UsageError(
            `import expects DIR[:TAG]|FILE and an optional REFERENCE, got ${rest.length} arguments`,
          );
        }
        const image = await store.import(rest[0]!, rest[1] ? { reference: rest[1] } : {});
        printImage(image, isJson);
        return ExitCode.Success;
      }
      case "ls":
        if (rest.length > 0) throw new UsageError(`ls takes no arguments, got ${rest.join(" ")}`);
        printList(store.dir, await store.list(), isJson);
        return ExitCode.Success;
      case "rm": {
        if (rest.length === 0) throw new UsageError("rm expects at least one REFERENCE or DIGEST");
        const removed = [];
        for (const name of rest) removed.push(await store.remove(name));
        if (isJson) process.stdout.write(`${JSON.stringify({ removed }, null, 2)}\n`);
        else {
          for (const { references, removedDigest } of removed) {
            for (const reference of references) process.stdout.write(`untagged ${reference}\n`);
            if (removedDigest) process.stdout.write(`deleted ${removedDigest}\n`);
          }
        }
        return ExitCode.Success;
      }
      case "gc": {
        if (rest.length > 0) throw new UsageError(`gc takes no arguments, got ${rest.join(" ")}`);
        const report = await store.gc({
          ...(values["max-age-days"] !== undefined ? { maxAgeDays: parseDays(values["max-age-days"]) } : {}),
          ...(values["max-size"] !== undefined
            ? { maxBytes: parseBytes("--max-size", values["max-size"]) }
            : {}),
        });
        process.stdout.write(
          isJson ? `${JSON.stringify({ dir: store.dir, ...report }, null, 2)}\n` : formatGc(report),
        );
        return ExitCode.Success;
      }
      default:
        throw new UsageError(
          subcommand
            ? `unknown subcommand '${subcommand}'\n\n${imageUsage}`
            : `expected a subcommand\n\n${imageUsage}`,
        );
    }
  } catch (error) {
    if (!(error instanceof ContainerError)) throw error;
    process.stderr.write(`hangar image: error ${error.code}: ${error.message}\n`);
    return error.code === "IMAGE_INVALID_REFERENCE" || error.code === "CONTAINER_BAD_OPTION"
      ? ExitCode.Usage
      : ExitCode.JobFailed;
  }
}

async function readCredentials(
  username: string | undefined,
  passwordStdin: boolean,
): Promise<RegistryCredentials | undefined> {
  if (username === undefined && !passwordStdin) return undefined;
  if (username === undefined || !passwordStdin) {
    throw new UsageError("--username and --password-stdin go together: the password is read from stdin");
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("--password-stdin: stdin was empty");
  return { username, password };
}

function parseDays(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new UsageError(`--max-age-days needs a number of days, got '${text}'`);
  return Number(text);
}

/** Decimal megabytes, as registries and `docker images` show sizes. */
function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function printImage(image: UnpackedImage, isJson: boolean): void {
  process.stdout.write(
    isJson ? `${JSON.stringify(image, null, 2)}\n` : `${image.reference}  ${image.digest}\n`,
  );
}

function printList(dir: string, images: ListedImage[], isJson: boolean): void {
  if (isJson) {
    process.stdout.write(`${JSON.stringify({ dir, images }, null, 2)}\n`);
    return;
  }
  if (images.length === 0) {
    process.stderr.write(`no images in ${dir}; add one with 'hangar image pull' or 'hangar image import'\n`);
    return;
  }
  const rows = [["REFERENCE", "DIGEST", "SIZE", "UNPACKED", "LAST USED", "IN USE"]];
  for (const image of images) {
    for (const reference of image.references.length > 0 ? image.references : ["<none>"]) {
      rows.push([
        reference,
        image.digest.slice(0, "sha256:".length + 12),
        megabytes(image.size),
        megabytes(image.unpackedSize),
        image.lastUsedAt,
        image.inUse ? "yes" : "no",
      ]);
    }
  }
  process.stdout.write(formatTable(rows));
}

function formatGc(report: ImageGcReport): string {
  const lines = report.images.map(
    (image) =>
      `removed ${image.references.join(", ") || "<none>"} ${image.digest} (${megabytes(image.size + image.unpackedSize)}, ` +
      `${image.reason === "unused" ? `unused since ${image.lastUsedAt}` : "over the size limit"})`,
  );
  for (const digest of report.keptInUse) lines.push(`kept ${digest}: used by a running job`);
  lines.push(
    `Removed ${report.images.length} image(s), ${report.blobs.count} blob(s) and ${report.tempEntries} temp entr(ies); ` +
      `freed ${megabytes(report.bytesFreed)}.`,
  );
  return lines.join("\n") + "\n";
}
