// Which JDK a setup-java step asks for, decided as actions/setup-java decides it: java-version specs, version files,
// a JDK's release file and `java -version`, exact builds, architecture names and the tool cache's folder names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  javaArch,
  javaDistributionName,
  javaKind,
  javaVersionOfOutput,
  javaVersionOfRelease,
  parseJavaSpec,
  readJavaVersionFile,
} from "../../src/runner/tools/index.js";
import { pickFrom } from "../../src/runner/tools/tool-install.js";

describe("java-version", () => {
  const listed = ["21.0.3+9", "21.0.2+13", "17.0.11+9", "17.0.7+7", "11.0.23+9"];
  const temurin = javaKind("Temurin-Hotspot", "jdk");
  const cases: Array<[string, string | undefined]> = [
    ["17", "17.0.11+9"],
    ["21", "21.0.3+9"],
    ["17.0.7+7", "17.0.7+7"],
    // A build must match exactly: 17.0.7+8 is not 17.0.7+7.
    ["17.0.7+8", undefined],
    ["17.0.7", "17.0.7+7"],
    [">=17 <21", "17.0.11+9"],
    ["^11", "11.0.23+9"],
    ["11.x", "11.0.23+9"],
    ["latest", "21.0.3+9"],
    ["8", undefined],
  ];
  for (const [spec, expected] of cases) {
    it(`${spec} → ${expected ?? "none"}`, () =>
      assert.equal(pickFrom(temurin, parseJavaSpec(spec).range, listed), expected));
  }

  it("takes four-field versions as semver builds, and refuses what is no range", () => {
    assert.deepEqual(parseJavaSpec("18.0.1.1"), { range: "18.0.1+1", latest: false });
    assert.deepEqual(parseJavaSpec("latest"), { range: "x", latest: true });
    assert.throws(() => parseJavaSpec("seventeen"), /not valid SemVer notation for a Java version/);
    assert.throws(() => parseJavaSpec("latest-ea"), /cannot be combined/);
    assert.throws(() => parseJavaSpec("21-ea"), /early-access/);
  });

  it("keeps versions in setup-java's folders: Java_<distribution>_<package>/<version with - for +>", () => {
    assert.equal(temurin.tool, "Java_Temurin-Hotspot_jdk");
    assert.equal(temurin.folderOf("17.0.7+7"), "17.0.7-7");
    assert.equal(temurin.versionOf("17.0.7-7"), "17.0.7+7");
    assert.equal(temurin.versionOf("21.0.3-9.0.LTS"), "21.0.3+9.0.LTS");
  });

  it("names setup-java's architectures", () => {
    assert.deepEqual(["x64", "arm64", "amd64", "arm", "ia32", "aarch64", "ppc64le"].map(javaArch), [
      "x64",
      "aarch64",
      "x64",
      "armv7",
      "x86",
      "aarch64",
      "ppc64le",
    ]);
  });

  it("provides temurin and says what else is not available here", () => {
    assert.equal(javaDistributionName("temurin", "jdk"), "Temurin-Hotspot");
    assert.throws(
      () => javaDistributionName("zulu", "jdk"),
      /Java distribution 'zulu' with java-package 'jdk' is not available here; hangar's setup-java provides temurin \(jdk, jre\)/,
    );
    assert.throws(() => javaDistributionName("temurin", "jdk+fx"), /not available here/);
    assert.throws(
      () => javaDistributionName("openjdk", "jdk"),
      /No supported distribution was found for input openjdk/,
    );
  });
});

describe("Java version files", () => {
  const cases: Array<[string, string, ReturnType<typeof readJavaVersionFile>]> = [
    [".java-version", "17\n", { version: "17" }],
    [".java-version", "17.0.7+7\n", { version: "17.0.7+7" }],
    [".java-version", "1.8\n", { version: "8" }],
    [".java-version", "temurin-21.0.3\n", { version: "21.0.3" }],
    [
      ".tool-versions",
      "nodejs 22\njava temurin-17.0.3+7\n",
      { version: "17.0.3+7", distribution: "temurin" },
    ],
    [".tool-versions", "java 21.0.2\n", { version: "21.0.2" }],
    [".tool-versions", "java zulu-11.0.22\n", { version: "11.0.22", distribution: "zulu" }],
    [".sdkmanrc", "java=21.0.5-tem\n", { version: "21.0.5", distribution: "temurin" }],
    [".java-version", "no version here\n", undefined],
  ];
  for (const [file, contents, expected] of cases) {
    it(`${file} ${JSON.stringify(contents)}`, () =>
      assert.deepEqual(readJavaVersionFile(file, contents), expected));
  }
});

describe("a JDK's own version", () => {
  it("reads the release file as setup-java does", () => {
    assert.equal(
      javaVersionOfRelease(
        'IMPLEMENTOR="Debian"\nJAVA_RUNTIME_VERSION="17.0.15+6-Debian-1deb12u1"\nJAVA_VERSION="17.0.15"\n',
      ),
      "17.0.15+6",
    );
    assert.equal(javaVersionOfRelease('JAVA_RUNTIME_VERSION="25+36-LTS"\n'), "25.0.0+36");
    assert.equal(javaVersionOfRelease('JAVA_VERSION="11.0.9.1"\n'), "11.0.9+1");
    assert.equal(javaVersionOfRelease("nothing\n"), undefined);
  });

  it("reads `java -version` when there is no release file", () =>
    assert.equal(
      javaVersionOfOutput(
        'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\n',
      ),
      "17.0.15+6",
    ));
});
