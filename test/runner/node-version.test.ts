// Node version resolution as actions/setup-node does it: version files, LTS and latest aliases, semver specs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pickVersion, readNodeVersionFile, resolveLtsAlias } from "../../src/runner/tools/index.js";

const versions = ["18.20.4", "20.18.1", "22.1.0", "22.12.0", "23.4.0", "24.0.1", "24.1.0-rc.1"];
const lines = [
  { major: 18, codename: "Hydrogen" },
  { major: 20, codename: "Iron" },
  { major: 22, codename: "Jod" },
  { major: 24, codename: "Krypton" },
];

describe("node version resolution", () => {
  it("picks like setup-node: exact, partial, x-ranges, ranges, latest aliases; prereleases only when named", () => {
    const cases: [string, string | undefined][] = [
      ["22", "22.12.0"],
      ["22.x", "22.12.0"],
      ["22.1", "22.1.0"],
      ["v22.1.0", "22.1.0"],
      ["22.1.0", "22.1.0"],
      [">=20 <22", "20.18.1"],
      ["^18.0.0", "18.20.4"],
      ["~22.1", "22.1.0"],
      ["*", "24.0.1"],
      ["latest", "24.0.1"],
      ["current", "24.0.1"],
      ["node", "24.0.1"],
      ["24.1.0-rc.1", "24.1.0-rc.1"],
      ["19", undefined],
    ];
    for (const [spec, expected] of cases) assert.equal(pickVersion(spec, versions), expected, spec);
    assert.throws(() => pickVersion("twenty-two", versions), /TOOL_VERSION_INVALID|not a Node version/);
  });

  it("resolves lts/*, lts/-n and codenames (any case) to the line's major", () => {
    assert.equal(resolveLtsAlias("lts/*", lines), "24");
    assert.equal(resolveLtsAlias("lts/-1", lines), "22");
    assert.equal(resolveLtsAlias("lts/-3", lines), "18");
    assert.equal(resolveLtsAlias("lts/iron", lines), "20");
    assert.equal(resolveLtsAlias("lts/Jod", lines), "22");
    assert.throws(
      () => resolveLtsAlias("lts/argon", lines),
      /Unable to find LTS release 'argon'.*iron \(20\)/,
    );
    assert.throws(() => resolveLtsAlias("lts/-9", lines), /Unable to find LTS release/);
    assert.throws(() => resolveLtsAlias("lts/", lines), /Unable to parse LTS alias/);
  });

  it("reads .nvmrc, .node-version and .tool-versions lines", () => {
    assert.deepEqual(readNodeVersionFile("22\n"), { spec: "22" });
    assert.deepEqual(readNodeVersionFile("v20.11.1\n"), { spec: "20.11.1" });
    assert.deepEqual(readNodeVersionFile("lts/iron\n"), { spec: "lts/iron" });
    assert.deepEqual(readNodeVersionFile("python 3.12.1\nnodejs 22.12.0\n"), { spec: "22.12.0" });
    assert.deepEqual(readNodeVersionFile("node 18\n"), { spec: "18" });
    assert.equal(readNodeVersionFile("\n"), undefined);
  });

  it("reads package.json: volta.node, then devEngines.runtime, then engines.node, then volta.extends", () => {
    const read = (manifest: object) => readNodeVersionFile(JSON.stringify(manifest));
    assert.deepEqual(read({ volta: { node: "20.1.0" }, engines: { node: ">=18" } }), { spec: "20.1.0" });
    assert.deepEqual(
      read({
        devEngines: { runtime: [{ name: "bun" }, { name: "Node", version: "^22" }] },
        engines: { node: "18" },
      }),
      { spec: "^22" },
    );
    assert.deepEqual(read({ devEngines: { runtime: { name: "node", version: "24" } } }), { spec: "24" });
    assert.deepEqual(read({ engines: { node: ">=18 <23" } }), { spec: ">=18 <23" });
    assert.deepEqual(read({ volta: { extends: "../package.json" } }), { extends: "../package.json" });
    assert.equal(read({ name: "nothing" }), undefined);
  });
});
