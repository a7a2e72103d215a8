// Built-in actions/setup-python: each Python the step asks for from the shared tool cache (linked from the host's
// interpreters or installed from a mirror by the runner when missing), the environment setup-python exports, and
// the pip, pipenv or poetry cache on the cache store.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import semver from "semver";
import { FileAgentRefusal } from "../../job-files/job-file-agent.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import {
  hostLinkMarker,
  parsePythonSpec,
  pythonSourcesFor,
  pythonVersionToSemver,
  readPythonVersionFile,
  setUpPython,
  versionLines,
  type PythonSetUp,
  type PythonSpec,
} from "../../tools/index.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";
import { commandOutput, restorePackageCache } from "./package-cache.js";
import { installedVersion, readVersionFile, toolSourcesForJob, useJobsOwnTool, warn } from "./setup-tool.js";

const action = "actions/setup-python";

function log(run: StepRun, text: string): void {
  run.onLine({ stream: "stdout", text });
}

/** A version file's text, or undefined when the job has no such file. */
async function versionFileText(run: StepRun, file: string): Promise<string | undefined> {
  return readVersionFile(run, file).then(
    (read) => read.text,
    (error: unknown) => {
      if (error instanceof FileAgentRefusal && error.code === "ENOENT") return undefined;
      throw error;
    },
  );
}

/** setup-python's resolveVersionInput: python-version's lines; else python-version-file; else .python-version. */
async function wantedVersions(run: StepRun): Promise<string[]> {
  const direct = versionLines(run.inputs["python-version"]);
  const file = run.inputs["python-version-file"];
  if (direct.length > 0) {
    if (file) warn(run, "python-version and python-version-file are both given: python-version is used");
    return direct;
  }
  if (file) {
    const text = await versionFileText(run, file);
    if (text === undefined) throw new Error(`the python-version-file ${file} does not exist`);
    const versions = readPythonVersionFile(file, text);
    log(run, `Resolved ${file} as ${versions.join(", ") || "nothing"}`);
    return versions;
  }
  // setup-python logs these as info lines marked [warning], not as annotations.
  log(run, "[warning]Neither python-version nor python-version-file is given: looking for .python-version");
  const text = await versionFileText(run, ".python-version");
  if (text === undefined) {
    log(run, "[warning].python-version does not exist");
    return [];
  }
  const versions = readPythonVersionFile(".python-version", text);
  log(run, `Resolved .python-version as ${versions.join(", ")}`);
  return versions;
}

/** What the step has set up so far: outputs of the last Python, PATH entries (first wins) and exported variables. */
interface Exported {
  outputs: Record<string, string>;
  path: string[];
  env: Record<string, string>;
}

/**
 * setup-python's useCpythonVersion and findPyPyVersion, on Linux: the root variables CMake's FindPython reads,
 * pkg-config's and (CPython) the loader's paths, then the install and its bin/ on PATH.
 */
function exportInstall(run: StepRun, setUp: PythonSetUp, exported: Exported): void {
  const { dir, tool } = setUp.installed;
  const bin = path.join(dir, "bin");
  Object.assign(exported.env, {
    pythonLocation: dir,
    Python_ROOT_DIR: dir,
    Python2_ROOT_DIR: dir,
    Python3_ROOT_DIR: dir,
    // setup-python's PyPy branch roots pkg-config at the bin directory; kept as it is.
    PKG_CONFIG_PATH: `${tool === "PyPy" ? bin : dir}/lib/pkgconfig`,
  });
  if (tool === "Python") {
    const libraryPath = exported.env["LD_LIBRARY_PATH"] ?? run.env["LD_LIBRARY_PATH"] ?? "";
    const lib = path.join(dir, "lib");
    if (!libraryPath.split(":").includes(lib))
      exported.env["LD_LIBRARY_PATH"] = libraryPath ? `${lib}:${libraryPath}` : lib;
    exported.path.unshift(bin, dir);
  } else exported.path.unshift(bin);
}

/**
 * A cache install that links a host interpreter works only where the job can reach that interpreter's path: the host
 * executor always; an isolating executor when its view of the host includes it. Asked as the job.
 */
async function checkLinkReachable(run: StepRun, setUp: PythonSetUp): Promise<void> {
  if (run.job.executor.name === "host") return;
  const marker = await readFile(path.join(setUp.installed.dir, hostLinkMarker), "utf8").catch(
    () => undefined,
  );
  if (marker === undefined) return;
  const python = path.join(setUp.installed.dir, "bin", "python");
  await installedVersion(run, python).catch((error: unknown) => {
    const { tool, version } = setUp.installed;
    throw new Error(
      `${tool} ${version} in the tool cache links ${marker.trim()}, which this ${run.job.executor.name} job cannot ` +
        `run (${(error as Error).message}); copy it from a mirror instead: hangar tools rm python ${version} && ` +
        `hangar tools add python ${version} --tool-source mirror`,
    );
  });
}

/** setup-python's cache distributors: default dependency files and how each manager's directories are found. */
const cacheManagers: Record<string, { patterns: string; fallback?: string; keyTag: string }> = {
  pip: { patterns: "**/requirements.txt", fallback: "**/pyproject.toml", keyTag: "" },
  pipenv: { patterns: "**/Pipfile.lock", keyTag: "" },
  // setup-python's "v2" retired its earlier, broken poetry caches.
  poetry: { patterns: "**/poetry.lock", keyTag: "v2-" },
};

/** The directories a manager keeps, asked as the job (its PATH now including the new Python). */
async function cacheDirsOf(run: StepRun, manager: string, env: Record<string, string>): Promise<string[]> {
  const home = env["HOME"] ?? os.homedir();
  if (manager === "pip") {
    const dir = await commandOutput(run, env, ["pip", "cache", "dir"]);
    return [dir.startsWith("~") ? path.join(home, dir.slice(1)) : dir];
  }
  if (manager === "pipenv") return [path.join(home, ".local", "share", "virtualenvs")];
  const config = new Map(
    (await commandOutput(run, env, ["poetry", "config", "--list"]))
      .split("\n")
      .map((line) =>
        line
          .replace(/#.*$/, "")
          .split("=", 2)
          .map((part) => part.trim()),
      )
      .filter((pair): pair is [string, string] => pair.length === 2)
      .map(([key, value]) => [key, JSON.parse(value) as unknown]),
  );
  const dirs = [
    String(config.get("virtualenvs.path")).replace("{cache-dir}", String(config.get("cache-dir"))),
  ];
  if (config.get("virtualenvs.in-project") === true) dirs.push(path.join(run.job.dirs.workspace, ".venv"));
  return dirs;
}

/** setup-python's Linux key segment: `-<VERSION_ID>-<ID>` from the runner's /etc/os-release. */
async function osKeySegment(): Promise<string> {
  if (os.platform() !== "linux") return "";
  const release = await readFile("/etc/os-release", "utf8").catch(() => "");
  const field = (name: string) =>
    release
      .match(new RegExp(`^${name}=(.*)$`, "m"))?.[1]
      ?.trim()
      .replace(/^"|"$/g, "") ?? "";
  return release ? `-${field("VERSION_ID")}-${field("ID") || "Linux"}` : "";
}

/** setup-python's restoreCache: key setup-python-<RUNNER_OS>-<arch><os>-python-<version>-<manager>-<hash>. */
async function restorePythonPackageCache(
  run: StepRun,
  manager: string,
  pythonVersion: string,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const info = cacheManagers[manager];
  if (!info) throw new Error(`Caching for '${manager}' is not supported (use pip, pipenv or poetry)`);
  const patterns = versionLines(run.inputs["cache-dependency-path"] || info.patterns);
  let hash = await run.job.hashFiles(patterns);
  if (!hash && info.fallback && !run.inputs["cache-dependency-path"])
    hash = await run.job.hashFiles([info.fallback]);
  if (!hash) {
    throw new Error(
      `no file in ${run.job.dirs.workspace} matches ${[...patterns, ...(info.fallback ? [info.fallback] : [])].join(", ")}; check out the repository first`,
    );
  }
  const restoreKey = `setup-python-${run.env["RUNNER_OS"] ?? "Linux"}-${process.arch}${await osKeySegment()}-python-${pythonVersion}-${manager}`;
  const primaryKey = `${restoreKey}-${info.keyTag}${hash}`;
  const restored = await restorePackageCache(run, {
    manager,
    primaryKey,
    restoreKeys: manager === "pip" ? [restoreKey] : [],
    paths: await cacheDirsOf(run, manager, env),
  });
  return { "cache-hit": String(restored.matchedKey === primaryKey) };
}

/** setup-python's python-version output: `pypy3.10-7.3.17` for a PyPy, `3.14.0t` for a free-threaded CPython. */
function pythonVersionOutput(setUp: PythonSetUp): string {
  const { version, arch } = setUp.installed;
  if (setUp.pypyVersion) return `pypy${version}-${setUp.pypyVersion}`;
  return arch.endsWith("-freethreaded") ? `${version}t` : version;
}

export async function runSetupPython(run: StepRun): Promise<StepResult> {
  let specs: PythonSpec[];
  try {
    const allowPrereleases = run.inputs["allow-prereleases"] === "true";
    const freethreaded = run.inputs["freethreaded"] === "true";
    specs = (await wantedVersions(run)).map((given) =>
      parsePythonSpec(given, allowPrereleases, freethreaded),
    );
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  if (specs.length === 0) {
    warn(run, "python-version is not set: the Python already on PATH is used");
    return emptyStepResult("success");
  }
  const { cache } = run.job.tools;
  if (!cache.isSeenAt(run.job.dirs.toolCache)) {
    return useJobsOwnTool(run, {
      action,
      commands: ["python", "python3"],
      asked: `python ${specs.map((spec) => spec.given).join(", ")}`,
      versionOf: (output) => output.split("\n")[0]!.replace(/^Python\s+/, ""),
      satisfies: (version) => {
        const found = semver.valid(pythonVersionToSemver(version.split(" ")[0]!));
        return (
          found !== null &&
          specs.every((spec) => spec.tool === "Python" && semver.satisfies(found, spec.range))
        );
      },
      resultFor: (version, executable) => ({
        outputs: { "python-version": version.split(" ")[0]!, "python-path": executable },
      }),
    });
  }
  const arch = run.inputs["architecture"] || os.arch();
  const exported: Exported = { outputs: {}, path: [], env: {} };
  let pythonVersion = "";
  try {
    for (const spec of specs) {
      if (spec.tool === "Python" && spec.given.startsWith("2"))
        warn(
          run,
          "actions/setup-python no longer supports Python 2.7; hangar sets it up when a source has it",
        );
      const setUp = await setUpPython(
        { spec, arch, checkLatest: run.inputs["check-latest"] === "true" },
        cache,
        pythonSourcesFor(toolSourcesForJob(run)),
        { signal: run.signal, log: (text) => log(run, text) },
      );
      log(run, `${setUp.from ? "Installed in the tool cache" : "Found in cache"} @ ${setUp.installed.dir}`);
      await checkLinkReachable(run, setUp);
      if (run.inputs["update-environment"] !== "false") exportInstall(run, setUp, exported);
      exported.outputs["python-version"] = pythonVersionOutput(setUp);
      exported.outputs["python-path"] = path.join(setUp.installed.dir, "bin", "python");
      pythonVersion = setUp.pypyVersion
        ? `${setUp.pypyVersion}-${setUp.installed.version}`
        : pythonVersionOutput(setUp);
      log(
        run,
        setUp.pypyVersion
          ? `Successfully set up PyPy ${setUp.pypyVersion} with Python (${setUp.installed.version})`
          : `Successfully set up CPython (${setUp.installed.version})`,
      );
    }
    const manager = run.inputs["cache"];
    if (manager) {
      const env = {
        ...run.env,
        ...exported.env,
        PATH: [...exported.path, run.env["PATH"] ?? ""].join(path.delimiter),
      };
      Object.assign(exported.outputs, await restorePythonPackageCache(run, manager, pythonVersion, env));
    }
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  return { ...emptyStepResult("success", exported.outputs), path: exported.path, env: exported.env };
}
