// Python version resolution as actions/setup-python does it: Python's version spellings, dev and prerelease specs,
// PyPy specs, multi-line inputs and the version files it reads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parsePythonSpec,
  pickPythonVersion,
  readPythonVersionFile,
  versionLines,
} from "../../src/runner/tools/index.js";

const versions = [
  "3.8.18",
  "3.9.18",
  "3.11.2",
  "3.11.7",
  "3.12.1",
  "3.12.4",
  "3.13.0",
  "3.14.0-b2",
  "3.14.0-rc1",
];

function pick(given: string, allowPrereleases = false): string | undefined {
  return pickPythonVersion(parsePythonSpec(given, allowPrereleases).range, versions);
}

describe("python version resolution", () => {
  it("picks like setup-python: exact, partial, x-ranges, ranges, -dev; prereleases only when asked", () => {
    const cases: [string, boolean, string | undefined][] = [
      ["3.12.4", false, "3.12.4"],
      ["3.12", false, "3.12.4"],
      ["3.11", false, "3.11.7"],
      ["3.x", false, "3.13.0"],
      ["3", false, "3.13.0"],
      [">=3.9 <3.12", false, "3.11.7"],
      ["~3.11.0", false, "3.11.7"],
      ["3.10", false, undefined],
      // x.y-dev takes that line's prereleases too: 3.14's newest is rc1.
      ["3.14-dev", false, "3.14.0-rc1"],
      ["3.13-dev", false, "3.13.0"],
      // Python's own spelling of a prerelease.
      ["3.14.0rc1", false, "3.14.0-rc1"],
      ["3.14.0b2", false, "3.14.0-b2"],
      // allow-prereleases widens x.y only.
      ["3.14", false, undefined],
      ["3.14", true, "3.14.0-rc1"],
      ["3.13", true, "3.13.0"],
      ["3.x", true, "3.13.0"],
    ];
    for (const [given, allow, expected] of cases)
      assert.equal(pick(given, allow), expected, `${given} ${allow}`);
  });

  it("parses PyPy specs as setup-python's parsePyPyVersion, and refuses what hangar cannot set up", () => {
    assert.deepEqual(parsePythonSpec("pypy3.10", false), {
      tool: "PyPy",
      given: "pypy3.10",
      range: "3.10",
      pypyRange: "x",
    });
    assert.deepEqual(parsePythonSpec("pypy-3.9-v7.3.x", false), {
      tool: "PyPy",
      given: "pypy-3.9-v7.3.x",
      range: "3.9",
      pypyRange: "7.3.x",
    });
    assert.equal(
      (parsePythonSpec("pypy3.10-7.3.3rc1", false) as { pypyRange: string }).pypyRange,
      "7.3.3-rc.1",
    );
    assert.throws(() => parsePythonSpec("pypy3", false), /written x\.y/);
    assert.throws(() => parsePythonSpec("pypy", false), /pypy<python-version>/);
    assert.throws(() => parsePythonSpec("graalpy-24.1", false), /GraalPy/);
    assert.throws(() => parsePythonSpec("three", false), /TOOL_VERSION_INVALID|neither a version/);
  });

  it("reads a `t` after the version, or the freethreaded input, as a free-threaded CPython (desugarVersion)", () => {
    const freethreaded = (given: string, input = false) => {
      const parsed = parsePythonSpec(given, false, input);
      assert.equal(parsed.tool, "Python");
      return [parsed.range, parsed.tool === "Python" && parsed.freethreaded];
    };
    assert.deepEqual(freethreaded("3.14t"), ["3.14", true]);
    assert.deepEqual(freethreaded("3.13.1t"), ["3.13.1", true]);
    assert.deepEqual(freethreaded("3.15t-dev"), ["~3.15.0-0", true]);
    assert.deepEqual(freethreaded("3.14"), ["3.14", false]);
    assert.deepEqual(freethreaded("3.14", true), ["3.14", true]);
    assert.throws(() => parsePythonSpec("3t", false), /neither a version/);
  });

  it("reads multi-line inputs and each version file setup-python reads", () => {
    assert.deepEqual(versionLines("3.10\n\n  pypy3.9 \n3.12\n"), ["3.10", "pypy3.9", "3.12"]);
    assert.deepEqual(readPythonVersionFile(".python-version", "# pinned\n3.12.1\n3.11/envs/tools\n\n"), [
      "3.12.1",
      "3.11",
    ]);
    assert.deepEqual(
      readPythonVersionFile(".tool-versions", "nodejs 22.1.0\n# python 2.7\npython 3.12.4\n"),
      ["3.12.4"],
    );
    assert.deepEqual(
      readPythonVersionFile(
        "pyproject.toml",
        '[build-system]\nrequires = ["hatchling"]\n\n[project]\nname = "x"\nrequires-python = ">=3.9,<3.13"\n',
      ),
      [">=3.9.0 <3.13.0-0"],
    );
    assert.deepEqual(
      readPythonVersionFile(
        "pyproject.toml",
        '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.10"  # the floor\n',
      ),
      [">=3.10.0 <4.0.0-0"],
    );
    // A [project] table without requires-python gives nothing, even when poetry names one (setup-python's order).
    assert.deepEqual(
      readPythonVersionFile(
        "pyproject.toml",
        '[project]\nname = "x"\n[tool.poetry.dependencies]\npython = "3.11"\n',
      ),
      [],
    );
    assert.deepEqual(readPythonVersionFile("Pipfile", '[requires]\npython_version = "3.11"\n'), ["3.11"]);
    assert.deepEqual(
      readPythonVersionFile(
        "Pipfile",
        '[requires]\npython_version = "3.11"\npython_full_version = "3.11.7"\n',
      ),
      ["3.11.7"],
    );
  });
});
