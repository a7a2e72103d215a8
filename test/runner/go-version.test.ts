// Which Go a setup-go step asks for, decided as actions/setup-go decides it: version files (go.mod's toolchain line
// over its go line), Go's version names as semver, stable/oldstable, ranges over a listing. Pure tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  goKind,
  goSemver,
  goVersionOfOutput,
  readGoVersionFile,
  resolveStableAlias,
  setUpGo,
  ToolCache,
} from "../../src/runner/tools/index.js";
import { pickFrom } from "../../src/runner/tools/tool-install.js";

describe("Go version files", () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    ["go.mod", "module example.com/m\n\ngo 1.21\n", undefined, "1.21"],
    ["go.mod", "module example.com/m\n\ngo 1.22.1\n\ntoolchain go1.22.5\n", undefined, "1.22.5"],
    // A previous setup-go step leaves GOTOOLCHAIN=local: then the go line decides, as in setup-go.
    ["go.mod", "module example.com/m\ngo 1.22.1\ntoolchain go1.22.5\n", "local", "1.22.1"],
    ["go.mod", "module m\ngo 1.23\ntoolchain go1.23rc2\n", undefined, "1.23rc2"],
    ["go.mod", "module m\n// go 1.10 in a comment is no directive\n", undefined, ""],
    ["go.work", "go 1.22.0\n\ntoolchain go1.22.4\n\nuse ./a\n", undefined, "1.22.4"],
    ["sub/dir/go.mod", "module m\ngo 1.20\n", undefined, "1.20"],
    [".go-version", "1.22.3\n", undefined, "1.22.3"],
    [".tool-versions", "nodejs 22.1.0\ngolang 1.21.6 # pinned\npython 3.12\n", undefined, "1.21.6"],
    [".tool-versions", "nodejs 22.1.0\n", undefined, ""],
  ];
  for (const [file, contents, goToolchain, expected] of cases) {
    it(`${file} ${JSON.stringify(contents)}${goToolchain ? ` with GOTOOLCHAIN=${goToolchain}` : ""} gives '${expected}'`, () =>
      assert.equal(readGoVersionFile(file, contents, goToolchain), expected));
  }
});

describe("Go's version names as semver (setup-go's makeSemver)", () => {
  const cases: Array<[string, string | undefined]> = [
    ["1.22.3", "1.22.3"],
    ["go1.22.3", "1.22.3"],
    ["1.13", "1.13.0"],
    ["go1.21rc2", "1.21.0-rc.2"],
    ["1.10beta1", "1.10.0-beta.1"],
    ["1.8.5rc1", "1.8.5-rc.1"],
    ["banana", undefined],
  ];
  for (const [name, expected] of cases)
    it(`${name} → ${expected}`, () => assert.equal(goSemver(name), expected));

  it("reads the version from `go version` output", () =>
    assert.equal(goVersionOfOutput("go version go1.22.3 linux/amd64\n"), "1.22.3"));
});

describe("picking a Go version", () => {
  const listed = ["1.23.1", "1.23.0", "1.23.0-rc.2", "1.22.7", "1.22.3", "1.21.13", "1.20.14"];
  const cases: Array<[string, string | undefined]> = [
    ["1.22.3", "1.22.3"],
    ["1.22", "1.22.7"],
    ["^1.21", "1.23.1"],
    ["~1.21.0", "1.21.13"],
    [">=1.20 <1.22", "1.21.13"],
    ["1.19", undefined],
    ["1.23.0-rc.2", "1.23.0-rc.2"],
  ];
  for (const [spec, expected] of cases) {
    it(`${spec} → ${expected ?? "none"}`, () => assert.equal(pickFrom(goKind, spec, listed), expected));
  }

  it("resolves stable to the newest release and oldstable to the newest of the line before", () => {
    assert.equal(resolveStableAlias("stable", listed), "1.23.1");
    assert.equal(resolveStableAlias("oldstable", listed), "1.22.7");
    assert.equal(resolveStableAlias("oldstable", ["1.23.1", "1.23.0"]), undefined);
  });

  it("refuses a spec that is no version, range or alias before asking any source", async () => {
    await assert.rejects(
      setUpGo({ spec: "one.two", arch: "x64", checkLatest: false }, new ToolCache("/nonexistent"), {
        useCache: false,
        remote: [],
      }),
      (error: Error & { code?: string }) =>
        error.code === "TOOL_VERSION_INVALID" && /'one\.two' is not a Go version/.test(error.message),
    );
  });
});
