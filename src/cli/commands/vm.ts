// `hangar vm build`: makes the microVM guest image (kernel, initramfs, manifest) from Debian packages.
import path from "node:path";
import { parseArgs } from "node:util";
import { buildGuestImage, defaultKernelPackage, RunnerError } from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";

export const vmUsage = `Usage: hangar vm build [options]

Builds the guest for the microvm executor from Debian packages (apt-get download, never installed on this
host): a kernel, and an initramfs holding busybox, bash, coreutils, the extra packages and hangar's guest agent.
Needs apt, dpkg, gcc and libc6-dev on this host; downloaded packages are kept in OUT/debs for the next build.

Options:
      --out DIR                where the image goes (default: DATA_DIR/vm)
      --package PKG            an extra Debian package for the guest, e.g. nodejs (JavaScript actions), git; repeatable
      --kernel-package NAME    the kernel package (default: ${defaultKernelPackage}; it must have 9p and virtio modules)
      --data-dir DIR           hangar's data directory (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --json                   print the image's manifest as JSON
`;

export async function vmCommand(argv: string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (!subcommand || subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(vmUsage);
    return subcommand ? ExitCode.Success : ExitCode.Usage;
  }
  if (subcommand !== "build") throw new UsageError(`unknown subcommand '${subcommand}' (expected build)`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      package: { type: "string", multiple: true },
      "kernel-package": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(vmUsage);
    return ExitCode.Success;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const outDir = values.out ? path.resolve(values.out) : path.join(dataDirOption(values["data-dir"]), "vm");
  try {
    const image = await buildGuestImage({
      outDir,
      packages: values.package ?? [],
      kernelPackage: values["kernel-package"],
      onProgress: (message) => process.stderr.write(`hangar vm build: ${message}\n`),
    });
    const { manifest } = image;
    process.stdout.write(
      values.json
        ? JSON.stringify({ dir: image.dir, ...manifest }, null, 2) + "\n"
        : `Built ${image.dir}: kernel ${manifest.kernelVersion}, ${manifest.packages.length} packages, ` +
            `initramfs ${(manifest.files["initramfs.cpio.gz"].bytes / 1048576).toFixed(1)} MiB` +
            `${manifest.hasNode ? ", with node" : ""}\n`,
    );
    return ExitCode.Success;
  } catch (error) {
    if (!(error instanceof RunnerError)) throw error;
    process.stderr.write(`hangar vm build: ${error.message}\n`);
    return ExitCode.Internal;
  }
}
