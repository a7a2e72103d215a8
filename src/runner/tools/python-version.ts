// Which Python a setup-python step asks for, decided as actions/setup-python decides it (src/setup-python.ts,
// src/find-python.ts, src/find-pypy.ts, src/utils.ts): inputs, version files and Python's own spellings of versions
// turned into semver ranges. Pure: no I/O.
import semver from "semver";
import { parse as parseToml, type TomlTable } from "smol-toml";
import { ToolError } from "./tool-error.js";

/** What one line of `python-version` asks for; `tool` is the tool cache's folder name, as setup-python names it. */
export type PythonSpec =
  | { tool: "Python"; given: string; range: string; freethreaded: boolean }
  | { tool: "PyPy"; given: string; range: string; pypyRange: string };

/** A multi-line input as @actions/core's getMultilineInput reads it: trimmed lines, empty ones dropped. */
export function versionLines(input: string | undefined): string[] {
  return (input ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * setup-python's pythonVersionToSemantic: Python's `3.13.0rc1` is semver's `3.13.0-rc1`; with allow-prereleases,
 * `x.y` also takes x.y's prereleases (`~x.y.0-0`).
 */
export function pythonVersionToSemver(version: string, allowPrereleases = false): string {
  const semantic = version.replace(/(\d+\.\d+\.\d+)((?:a|b|rc)\d*)/g, "$1-$2");
  return allowPrereleases ? semantic.replace(/^(\d+)\.(\d+)$/, "~$1.$2.0-0") : semantic;
}

/** setup-install-pypy's pypyVersionToSemantic: `7.3.3rc1` is `7.3.3-rc.1`. */
function pypyVersionToSemver(version: string): string {
  return version.replace(/(\d+\.\d+\.\d+)((?:a|b|rc))(\d*)/g, "$1-$2.$3");
}

function invalid(given: string, why: string): ToolError {
  return new ToolError(
    "TOOL_VERSION_INVALID",
    `'${given}' is not a Python version hangar can set up: ${why}`,
  );
}

/** The architecture a free-threaded CPython is cached under, as setup-python names it: `x64-freethreaded`. */
export function freethreadedArch(arch: string): string {
  return `${arch}-freethreaded`;
}

/**
 * One `python-version` line: `pypy3.10`, `pypy-3.10-v7.3.x` (setup-python's parsePyPyVersion) or a CPython
 * version or range, where `3.13-dev` means 3.13's prereleases and releases and a `t` after the version
 * (`3.14t`, `3.14t-dev`) a free-threaded build (desugarVersion); `freethreaded` is the input of that name.
 */
export function parsePythonSpec(given: string, allowPrereleases: boolean, freethreaded = false): PythonSpec {
  if (given.startsWith("graalpy")) throw invalid(given, "GraalPy is not supported");
  if (given.startsWith("pypy")) {
    const parts = given.split("-").filter(Boolean);
    if (/^pypy.+/.test(parts[0]!)) parts.splice(0, 1, "pypy", parts[0]!.slice("pypy".length));
    const [, pythonVersion, pypyVersion] = parts;
    if (!pythonVersion)
      throw invalid(given, "PyPy is asked for as pypy<python-version> or pypy-<python-version>");
    if (!/^\d+\.\d+$/.test(pythonVersion)) throw invalid(given, "PyPy's Python version is written x.y");
    const pypyRange = pypyVersion === undefined ? "x" : pypyVersionToSemver(pypyVersion.replace(/^v/, ""));
    if (pypyRange === "nightly") throw invalid(given, "PyPy nightly builds are not supported");
    if (semver.validRange(pypyRange) === null)
      throw invalid(given, `'${pypyVersion}' is no PyPy version or range`);
    return { tool: "PyPy", given, range: pythonVersion, pypyRange };
  }
  const version = given.replace(/^(\d+\.\d+(\.\d+)?)t$/, "$1").replace(/^(\d+\.\d+)t-dev$/, "$1-dev");
  const range = pythonVersionToSemver(version.replace(/^(\d+)\.(\d+)-dev$/, "~$1.$2.0-0"), allowPrereleases);
  if (semver.validRange(range) === null) throw invalid(given, "it is neither a version nor a semver range");
  return { tool: "Python", given, range, freethreaded: freethreaded || version !== given };
}

/** The highest of `versions` in `range`, as @actions/tool-cache's evaluateVersions picks. */
export function pickPythonVersion(range: string, versions: string[]): string | undefined {
  return versions
    .filter((each) => semver.valid(each) !== null && semver.satisfies(each, range))
    .sort(semver.rcompare)[0];
}

/**
 * setup-python's getVersionInputFromFile, by the file's name: `*.toml` gives `project.requires-python` when there
 * is a [project] table, else poetry's `tool.poetry.dependencies.python` (commas as spaces, as a loose semver range);
 * `.tool-versions` its first `python X` line; `Pipfile` `requires.python_full_version`, else `python_version`;
 * any other file each line that is not empty or a `#` comment, up to a `/` (pyenv-virtualenv's `3.10/envs/x`).
 */
export function readPythonVersionFile(fileName: string, text: string): string[] {
  const contents = text.replace(/\r\n?/g, "\n");
  if (fileName.endsWith(".toml")) {
    const toml = parseToml(contents);
    const found =
      "project" in toml
        ? at(toml, "project", "requires-python")
        : at(toml, "tool", "poetry", "dependencies", "python");
    const range = typeof found === "string" ? semver.validRange(found.split(",").join(" "), true) : null;
    return range === null ? [] : [range];
  }
  if (fileName.includes(".tool-versions")) {
    for (const line of contents.split("\n")) {
      if (line.trim().startsWith("#")) continue;
      const version = line.match(/^\s*python\s*v?\s*(?<version>\S+)\s*$/)?.groups?.["version"];
      if (version) return [version];
    }
    return [];
  }
  if (fileName.includes("Pipfile")) {
    const toml = parseToml(contents);
    const version = at(toml, "requires", "python_full_version") ?? at(toml, "requires", "python_version");
    return typeof version === "string" ? [version] : [];
  }
  return contents
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split("/")[0]!);
}

/** The value at a path of TOML tables, if every step is a table. */
function at(table: TomlTable, ...keys: string[]): unknown {
  let value: unknown = table;
  for (const key of keys) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as TomlTable)[key];
  }
  return value;
}
