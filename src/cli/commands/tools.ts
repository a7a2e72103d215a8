// `hangar tools`: the shared tool cache jobs see as RUNNER_TOOL_CACHE: list, add (install), remove, collect garbage.
import os from "node:os";
import { parseArgs } from "node:util";
import {
  goSourcesFor,
  javaArch,
  javaDistributionName,
  javaKind,
  javaSourcesFor,
  nodeSourcesFor,
  parsePythonSpec,
  pythonSourcesFor,
  readToolSourceSettings,
  setUpGo,
  setUpJava,
  setUpNode,
  setUpPython,
  ToolCache,
  toolCacheDir,
  ToolError,
  type InstalledTool,
  type ToolSourceSettings,
} from "../../runner/index.js";
import { dataDirOption } from "../data-location.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";

export const toolsUsage = `Usage: hangar tools <ls|add|rm|gc> [options]

The tool cache below the data directory, shared by every job (RUNNER_TOOL_CACHE, runner.tool_cache) in
@actions/tool-cache's layout: <tool>/<version>/<arch>. The built-in setup-node, setup-python, setup-go and
setup-java fill it on first use.

  hangar tools ls [TOOL]             the complete installs (TOOL: node, python (Python/ and PyPy/), go, java, or a
                                     cache folder name)
  hangar tools add node VERSION      installs the Node that setup-node would pick for VERSION (22, 22.x,
                                     >=20 <23, lts/*, lts/iron, latest, 22.12.0)
  hangar tools add python VERSION    links or installs the Python that setup-python would pick for VERSION
                                     (3.12, 3.x, >=3.9 <3.13, 3.13-dev, 3.12.4, pypy3.10); listed as Python/PyPy
  hangar tools add go VERSION        installs the Go that setup-go would pick (1.22.3, 1.22, ^1.21, stable,
                                     oldstable)
  hangar tools add java VERSION      installs the JDK that setup-java would pick (17, 21, 17.0.7+7, >=17 <21,
                                     latest) for --distribution temurin and --java-package jdk
  hangar tools rm TOOL VERSION       removes an install (every arch unless --arch)
  hangar tools gc [--unused-days N]  removes what crashed installs left and, with N, installs no job used for N days

Options:
      --arch ARCH          x64, arm64 ... (default: this machine's, ${os.arch()})
      --tool-source LIST   add: sources in order: cache, host, npm, mirror (default: $HANGAR_TOOL_SOURCES or all)
      --node-mirror URL    add: a mirror shaped like nodejs.org/dist (default: $HANGAR_NODE_MIRROR or nodejs.org)
      --python-mirror URL  add: python-build-standalone archives with SHA256SUMS (default: $HANGAR_PYTHON_MIRROR
                           or the latest python-build-standalone release)
      --go-mirror URL      add: a mirror shaped like go.dev/dl (default: $HANGAR_GO_MIRROR or go.dev/dl)
      --java-mirror URL    add: a server with the Adoptium API (default: $HANGAR_JAVA_MIRROR or api.adoptium.net)
      --distribution NAME  add java: setup-java's distribution (default: temurin)
      --java-package NAME  add java: jdk or jre (default: jdk)
      --data-dir DIR       hangar's data directory (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
      --json               print one JSON document
`;

export async function toolsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: "string" },
      "tool-source": { type: "string" },
      "node-mirror": { type: "string" },
      "python-mirror": { type: "string" },
      "go-mirror": { type: "string" },
      "java-mirror": { type: "string" },
      distribution: { type: "string" },
      "java-package": { type: "string" },
      "unused-days": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(toolsUsage);
    return ExitCode.Success;
  }
  const [subcommand, ...rest] = positionals;
  const dataDir = dataDirOption(values["data-dir"]);
  const cache = new ToolCache(toolCacheDir(dataDir));
  const print = (json: object, text: string) =>
    process.stdout.write(
      values.json ? `${JSON.stringify({ toolCache: cache.dir, ...json }, null, 2)}\n` : text,
    );
  try {
    switch (subcommand) {
      case "ls": {
        if (rest.length > 1) throw new UsageError(`ls takes at most one TOOL, got ${rest.join(" ")}`);
        const installs = rest[0]
          ? (await Promise.all(cacheFolders(rest[0], values).map((folder) => cache.list(folder)))).flat()
          : await cache.list();
        print({ installs }, installs.length > 0 ? tableOf(installs) : `no tools in ${cache.dir}\n`);
        return ExitCode.Success;
      }
      case "add": {
        const [tool, version] = rest;
        if (rest.length !== 2)
          throw new UsageError(`add expects TOOL VERSION, got ${rest.join(" ") || "nothing"}`);
        const settings = readToolSourceSettings(process.env, {
          order: values["tool-source"],
          nodeMirror: values["node-mirror"],
          pythonMirror: values["python-mirror"],
          goMirror: values["go-mirror"],
          javaMirror: values["java-mirror"],
        });
        const setUp = await addTool(tool!, version!, settings, cache, values);
        const { installed } = setUp;
        print(
          { installed, downloadedFrom: setUp.from ?? null },
          `${setUp.from ? "installed" : "already installed"}: ${tool} ${setUp.version} (${installed.arch}) in ${installed.dir}\n`,
        );
        return ExitCode.Success;
      }
      case "rm": {
        if (rest.length !== 2)
          throw new UsageError(`rm expects TOOL VERSION, got ${rest.join(" ") || "nothing"}`);
        const named = cacheNameOf(rest[0]!, values);
        const removed = (
          await Promise.all(
            cacheFolders(rest[0]!, values).map((folder) =>
              cache.remove(folder, named.folderOf(rest[1]!), values.arch),
            ),
          )
        ).flat();
        if (removed.length === 0) {
          process.stderr.write(`hangar tools: ${rest.join(" ")} is not in ${cache.dir}\n`);
          return ExitCode.Usage;
        }
        print(
          { removed },
          removed.map((each) => `removed ${each.tool} ${each.version} (${each.arch})\n`).join(""),
        );
        return ExitCode.Success;
      }
      case "gc": {
        if (rest.length > 0) throw new UsageError(`gc takes no arguments, got ${rest.join(" ")}`);
        const days = values["unused-days"] === undefined ? undefined : Number(values["unused-days"]);
        if (days !== undefined && !(days >= 0)) {
          throw new UsageError(`--unused-days must be a number of days, got ${values["unused-days"]}`);
        }
        const report = await cache.collectGarbage(
          days === undefined ? {} : { unusedForMs: days * 24 * 60 * 60_000 },
        );
        print(
          report,
          [
            ...report.incomplete.map((dir) => `removed incomplete ${dir}\n`),
            ...report.unused.map((each) => `removed unused ${each.tool} ${each.version} (${each.arch})\n`),
            `Removed ${report.incomplete.length} incomplete and ${report.unused.length} unused install(s).\n`,
          ].join(""),
        );
        return ExitCode.Success;
      }
      default:
        throw new UsageError(
          subcommand
            ? `unknown subcommand '${subcommand}'\n\n${toolsUsage}`
            : `expected a subcommand\n\n${toolsUsage}`,
        );
    }
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    process.stderr.write(`hangar tools: error ${error.code}: ${error.message}\n`);
    return ExitCode.Usage;
  }
}

/** The cache folders TOOL names: setup-python keeps CPython in `Python/` and PyPy in `PyPy/`, so `python` is both. */
function cacheFolders(tool: string, options: JavaOptions): string[] {
  return tool === "python" ? ["Python", "PyPy"] : [cacheNameOf(tool, options).tool];
}

function tableOf(installs: InstalledTool[]): string {
  return formatTable([
    ["TOOL", "VERSION", "ARCH", "PATH"],
    ...installs.map((each) => [each.tool, each.version, each.arch, each.dir]),
  ]);
}

interface JavaOptions {
  arch?: string;
  distribution?: string;
  "java-package"?: string;
}

/**
 * The cache folder a TOOL argument names and how it spells versions: `java` is setup-java's folder for the
 * distribution and package (Java_Temurin-Hotspot_jdk), whose versions have `-` for `+`.
 */
function cacheNameOf(
  tool: string,
  options: JavaOptions,
): { tool: string; folderOf(version: string): string } {
  if (tool !== "java") return { tool, folderOf: (version) => version };
  const packageType = options["java-package"] ?? "jdk";
  return javaKind(javaDistributionName(options.distribution ?? "temurin", packageType), packageType);
}

/** What the built-in setup action would install for VERSION, with the same resolution and sources. */
async function addTool(
  tool: string,
  version: string,
  settings: ToolSourceSettings,
  cache: ToolCache,
  options: JavaOptions,
): Promise<{ installed: InstalledTool; version: string; from?: string }> {
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const arch = options.arch ?? os.arch();
  switch (tool) {
    case "node": {
      return setUpNode({ spec: version, arch, checkLatest: false }, cache, nodeSourcesFor(settings), { log });
    }
    case "python": {
      const setUp = await setUpPython(
        { spec: parsePythonSpec(version, false), arch, checkLatest: false },
        cache,
        pythonSourcesFor(settings),
        { log },
      );
      return { installed: setUp.installed, version: setUp.installed.version, from: setUp.from };
    }
    case "go":
      return setUpGo({ spec: version, arch, checkLatest: false }, cache, goSourcesFor(settings), { log });
    case "java": {
      const packageType = options["java-package"] ?? "jdk";
      return setUpJava(
        {
          spec: version,
          arch: javaArch(arch),
          checkLatest: false,
          distribution: options.distribution ?? "temurin",
          packageType,
        },
        cache,
        javaSourcesFor(settings, packageType),
        { log },
      );
    }
    default:
      throw new UsageError(`hangar tools add knows node, python, go and java, not '${tool}'`);
  }
}
