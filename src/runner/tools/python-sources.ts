// Where Pythons come from besides the tool cache: interpreters already on the runner host (linked into the cache)
// and a python-build-standalone mirror (copied into it). Each lists the builds it has and fills a cache directory.
import { execFile } from "node:child_process";
import { mkdir, readdir, realpath, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { downloadAndUnpack, fetchText, HttpMirrorSource } from "./download.js";
import { freethreadedArch, pythonVersionToSemver } from "./python-version.js";
import { ToolError } from "./tool-error.js";

/** One Python a source can provide: the cache folder it goes in (`tool`/`version`/`arch`) and PyPy's own version. */
export interface PythonBuild {
  tool: "Python" | "PyPy";
  /** The Python language version, as semver (`3.13.0-rc1`). */
  version: string;
  arch: string;
  pypyVersion?: string;
}

export interface PythonSource {
  /** For messages: e.g. "the host's interpreters". */
  readonly description: string;
  builds(arch: string, signal?: AbortSignal): Promise<PythonBuild[]>;
  /** Writes `build` into `dir` as a Python prefix: bin/python, bin/python3, bin/pip ... */
  fill(build: PythonBuild, dir: string, signal?: AbortSignal): Promise<void>;
}

/** The file in a cache install that says it links a host interpreter, holding that interpreter's path. */
export const hostLinkMarker = ".hangar-host-link";

/** setup-python's PYPY_VERSION: the exact PyPy version of a `PyPy/<python version>/<arch>` install. */
export const pypyVersionFile = "PYPY_VERSION";

/** The places a runner host keeps Pythons, each read as setup-python's users would have installed them. */
export interface HostPythonPlaces {
  /** Directories of whole installs, one per entry (pyenv's versions, asdf's, uv's). */
  prefixRoots: string[];
  /** Directories holding `pythonX.Y` / `pypy3` executables that belong to a system prefix. */
  systemDirs: string[];
}

export function defaultHostPythonPlaces(env: NodeJS.ProcessEnv = process.env): HostPythonPlaces {
  const home = env["HOME"] ?? os.homedir();
  const dataHome = env["XDG_DATA_HOME"] ?? path.join(home, ".local", "share");
  return {
    prefixRoots: [
      path.join(env["PYENV_ROOT"] ?? path.join(home, ".pyenv"), "versions"),
      path.join(env["ASDF_DATA_DIR"] ?? path.join(home, ".asdf"), "installs", "python"),
      env["UV_PYTHON_INSTALL_DIR"] ?? path.join(dataHome, "uv", "python"),
    ],
    systemDirs: ["/usr/bin", "/usr/local/bin"],
  };
}

interface HostInterpreter extends PythonBuild {
  /** The executable as found (pyenv's own links kept). */
  executable: string;
  /** The install's own directory, for the installs of prefixRoots; absent for a system interpreter. */
  prefix?: string;
}

/** Prints what the interpreter is; runs on Python 2.7 and every 3.x. */
const probeScript = [
  "import sys, platform, struct, sysconfig",
  "i = getattr(sys, 'implementation', None)",
  "p = getattr(sys, 'pypy_version_info', None)",
  "v = lambda x: '%d.%d.%d%s' % (x[0], x[1], x[2], '' if x[3] == 'final' else " +
    "{'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}[x[3]] + str(x[4]))",
  "print(' '.join([i.name if i else ('pypy' if p else 'cpython'), v(sys.version_info), " +
    "p and v(p) or '-', platform.machine(), str(struct.calcsize('P') * 8), " +
    "str(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)]))",
].join("\n");

/** os.arch()'s names (setup-python's `architecture`) for platform.machine() and a pointer width. */
function archOf(machine: string, bits: number): string {
  if (/^(x86_64|amd64|i[3-6]86|x86)$/i.test(machine)) return bits === 64 ? "x64" : "x86";
  if (/^(aarch64|arm64)$/i.test(machine)) return bits === 64 ? "arm64" : "arm";
  if (/^arm/i.test(machine)) return "arm";
  return machine;
}

/** Probes run once per executable (and its mtime) per process: a probe spawns the interpreter. */
const probes = new Map<string, Promise<PythonBuild | undefined>>();

async function probe(executable: string): Promise<PythonBuild | undefined> {
  const real = await realpath(executable).catch(() => undefined);
  const info = real ? await stat(real).catch(() => undefined) : undefined;
  if (!real || !info?.isFile()) return undefined;
  const key = `${real}:${info.mtimeMs}`;
  let found = probes.get(key);
  if (!found) {
    found = promisify(execFile)(executable, ["-c", probeScript], { timeout: 15_000 }).then(
      ({ stdout }) => {
        const [implementation, version, pypyVersion, machine, bits, gilDisabled] = stdout.trim().split(" ");
        if (!implementation || !version || !machine) return undefined;
        const isPyPy = implementation === "pypy";
        if (!isPyPy && implementation !== "cpython") return undefined;
        return {
          tool: isPyPy ? "PyPy" : "Python",
          version: pythonVersionToSemver(version),
          // A free-threaded build is cached under its own architecture, as setup-python does.
          arch:
            gilDisabled === "1"
              ? freethreadedArch(archOf(machine, Number(bits)))
              : archOf(machine, Number(bits)),
          ...(isPyPy && pypyVersion !== "-"
            ? { pypyVersion: pypyVersion!.replace(/(\d+\.\d+\.\d+)((?:a|b|rc))(\d*)/, "$1-$2.$3") }
            : {}),
        } satisfies PythonBuild;
      },
      () => undefined,
    );
    probes.set(key, found);
  }
  return found;
}

async function isExecutableFile(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() === true && (info.mode & 0o111) !== 0;
}

async function entriesOf(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/**
 * Interpreters installed on the runner host: pyenv's, asdf's and uv's installs (a virtualenv is skipped: it is no
 * install of its own), then `pythonX.Y` and `pypy3` in /usr/bin and /usr/local/bin. Each is run once to learn its
 * version and architecture. An install is linked into the cache, not copied: see docs/tool-cache.md.
 */
export class HostPythonSource implements PythonSource {
  private found: Promise<HostInterpreter[]> | undefined;

  constructor(private readonly places: HostPythonPlaces = defaultHostPythonPlaces()) {}

  get description(): string {
    return "the host's interpreters";
  }

  private async candidates(): Promise<{ executable: string; prefix?: string }[]> {
    const found: { executable: string; prefix?: string }[] = [];
    for (const root of this.places.prefixRoots) {
      for (const name of await entriesOf(root)) {
        const prefix = path.join(root, name);
        if (await stat(path.join(prefix, "pyvenv.cfg")).catch(() => undefined)) continue;
        for (const command of ["python3", "python", "pypy3", "pypy"]) {
          const executable = path.join(prefix, "bin", command);
          if (await isExecutableFile(executable)) {
            found.push({ executable, prefix });
            break;
          }
        }
      }
    }
    for (const dir of this.places.systemDirs) {
      for (const name of await entriesOf(dir)) {
        const executable = path.join(dir, name);
        if (/^(python\d+\.\d+t?|pypy\d*(\.\d+)?)$/.test(name) && (await isExecutableFile(executable)))
          found.push({ executable });
      }
    }
    return found;
  }

  private interpreters(): Promise<HostInterpreter[]> {
    this.found ??= this.candidates().then(async (candidates) => {
      const probed = await Promise.all(candidates.map((each) => probe(each.executable)));
      const interpreters: HostInterpreter[] = [];
      for (const [index, build] of probed.entries()) {
        // The first place that has a version keeps it (pyenv before the system's).
        if (build && !interpreters.some((each) => sameBuild(each, build)))
          interpreters.push({ ...build, ...candidates[index]! });
      }
      return interpreters;
    });
    return this.found;
  }

  async builds(arch: string): Promise<PythonBuild[]> {
    return (await this.interpreters())
      .filter((each) => each.arch === arch)
      .map(({ tool, version, pypyVersion }) => ({
        tool,
        version,
        arch,
        ...(pypyVersion ? { pypyVersion } : {}),
      }));
  }

  async fill(build: PythonBuild, dir: string): Promise<void> {
    const interpreter = (await this.interpreters()).find((each) => sameBuild(each, build));
    if (!interpreter) {
      throw new ToolError("TOOL_VERSION_UNAVAILABLE", `the host has no ${build.tool} ${build.version}`);
    }
    const bin = path.join(dir, "bin");
    const { prefix, executable } = interpreter;
    if (prefix) {
      // A whole install of its own: lib/, include/ and share/ are the install's, seen through links.
      for (const name of ["lib", "include", "share"]) {
        if (await stat(path.join(prefix, name)).catch(() => undefined))
          await symlink(path.join(prefix, name), path.join(dir, name));
      }
    }
    if (prefix && (await hasStandardNames(path.join(prefix, "bin"), build))) {
      // Its own bin/ too, so that what `pip install` adds there later is on PATH, as on GitHub.
      await symlink(path.join(prefix, "bin"), bin);
    } else {
      // Links to its bin/ entries (or to a system interpreter), beside the standard names it lacks.
      await mkdir(bin, { recursive: true });
      const entries = prefix
        ? (await entriesOf(path.join(prefix, "bin"))).map((name) => path.join(prefix, "bin", name))
        : [executable];
      for (const entry of entries) await symlink(entry, path.join(bin, path.basename(entry)));
    }
    await addStandardNames(bin, executable, build);
    await writeFile(path.join(dir, hostLinkMarker), `${prefix ?? executable}\n`);
    if (build.pypyVersion) await writeFile(path.join(dir, pypyVersionFile), build.pypyVersion);
  }
}

function sameBuild(a: PythonBuild, b: PythonBuild): boolean {
  return a.tool === b.tool && a.version === b.version && a.arch === b.arch && a.pypyVersion === b.pypyVersion;
}

/** The names addStandardNames gives an install: `python`, `pythonX`, `pip`, `pipX`. */
function standardNames(build: PythonBuild): string[] {
  const major = build.version.split(".")[0]!;
  return ["python", `python${major}`, "pip", `pip${major}`];
}

async function hasStandardNames(bin: string, build: PythonBuild): Promise<boolean> {
  const present = new Set(await entriesOf(bin));
  return standardNames(build).every((name) => present.has(name));
}

/**
 * The names setup-python's installs answer to (python-versions' setup.sh links python and pythonX; PyPy's installer
 * links python and pythonX to pypy): `python`, `pythonX` and a `pip` that is this interpreter's, where missing.
 */
async function addStandardNames(bin: string, executable: string, build: PythonBuild): Promise<void> {
  const present = new Set(await entriesOf(bin));
  const major = build.version.split(".")[0]!;
  for (const name of ["python", `python${major}`]) {
    if (!present.has(name)) await symlink(executable, path.join(bin, name));
  }
  for (const name of ["pip", `pip${major}`]) {
    if (present.has(name)) continue;
    await writeFile(path.join(bin, name), `#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n`, {
      mode: 0o755,
    });
  }
}

/** python-build-standalone's target triples for os.platform() and os.arch(). */
function standaloneTriple(platform: string, arch: string): string | undefined {
  const cpu = { x64: "x86_64", arm64: "aarch64", x86: "i686" }[arch];
  if (!cpu) return undefined;
  if (platform === "linux") return `${cpu}-unknown-linux-gnu`;
  if (platform === "darwin" && arch !== "x86") return `${cpu}-apple-darwin`;
  return undefined;
}

/**
 * A directory of python-build-standalone archives, e.g. one release's download URL: its SHA256SUMS lists every
 * archive (`cpython-<version>+<release>-<triple>-install_only.tar.gz`), which is both the index and each archive's
 * checksum. The archive holds one `python/` prefix.
 */
export class StandaloneMirrorSource extends HttpMirrorSource implements PythonSource {
  private sums: Promise<Map<string, string>> | undefined;

  constructor(baseUrl: string, platform?: string) {
    super("python-build-standalone mirror", baseUrl, platform);
  }

  private checksums(signal?: AbortSignal): Promise<Map<string, string>> {
    if (!this.sums) {
      this.sums = fetchText(`${this.baseUrl}/SHA256SUMS`, signal).then(
        (text) =>
          new Map(
            text
              .split("\n")
              .map((line) => line.trim().split(/\s+/))
              .filter((fields): fields is [string, string] => fields.length === 2)
              .map(([sum, file]) => [file.replace(/^\*/, ""), sum]),
          ),
      );
      this.sums.catch(() => (this.sums = undefined));
    }
    return this.sums;
  }

  private async archives(arch: string, signal?: AbortSignal): Promise<{ version: string; file: string }[]> {
    // Free-threaded builds are `<triple>-freethreaded-install_only` archives.
    const plainArch = arch.replace(/-freethreaded$/, "");
    const plainTriple = standaloneTriple(this.platform, plainArch);
    if (!plainTriple) return [];
    const triple = plainArch === arch ? plainTriple : `${plainTriple}-freethreaded`;
    const archives: { version: string; file: string }[] = [];
    for (const file of (await this.checksums(signal)).keys()) {
      const found = file.match(/^cpython-(?<version>[^+]+)\+\d+-(?<triple>.+)-install_only\.tar\.gz$/);
      if (found?.groups?.["triple"] === triple)
        archives.push({ version: pythonVersionToSemver(found.groups["version"]!), file });
    }
    return archives;
  }

  async builds(arch: string, signal?: AbortSignal): Promise<PythonBuild[]> {
    return (await this.archives(arch, signal)).map(({ version }) => ({ tool: "Python", version, arch }));
  }

  async fill(build: PythonBuild, dir: string, signal?: AbortSignal): Promise<void> {
    const archive = (await this.archives(build.arch, signal)).find((each) => each.version === build.version);
    const sum = archive && (await this.checksums(signal)).get(archive.file);
    if (build.tool !== "Python" || !archive || !sum) {
      throw new ToolError(
        "TOOL_VERSION_UNAVAILABLE",
        `${this.description} has no ${build.tool} ${build.version}`,
      );
    }
    await downloadAndUnpack(
      `${this.baseUrl}/${encodeURIComponent(archive.file)}`,
      { algorithm: "sha256", encoding: "hex", value: sum },
      dir,
      signal,
    );
    const bin = path.join(dir, "bin");
    const major = build.version.split(".")[0]!;
    const minor = build.version.split(".")[1]!;
    const name = `python${major}.${minor}${build.arch.endsWith("-freethreaded") ? "t" : ""}`;
    const interpreter = path.join(bin, name);
    if (!(await isExecutableFile(interpreter))) {
      throw new ToolError("TOOL_INSTALL_FAILED", `${archive.file} has no bin/${name}`);
    }
    // Relative links, so that the install still works wherever the cache is mounted.
    await addStandardNames(bin, path.basename(interpreter), build);
  }
}
