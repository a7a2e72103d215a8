// Which Go a setup-go step asks for, decided as actions/setup-go decides it (src/installer.ts, src/main.ts): version
// files, the stable and oldstable aliases, semver ranges over Go's own version names. Pure: no I/O.
import semver from "semver";
import type { ToolKind } from "./tool-install.js";
import { ToolError } from "./tool-error.js";

/**
 * setup-go's makeSemver: Go's names as semver, `1.13` → 1.13.0, `1.10beta1` → 1.10.0-beta.1, `go1.21rc2` →
 * 1.21.0-rc.2. Undefined for what is no Go version.
 */
export function goSemver(version: string): string | undefined {
  const [main, pre] = version.replace("go", "").replace("beta", "-beta.").replace("rc", "-rc.").split("-");
  const coerced = semver.coerce(main)?.version;
  if (!coerced) return undefined;
  return pre ? (semver.valid(`${coerced}-${pre}`) ?? undefined) : coerced;
}

/** setup-go's StableReleaseAlias. */
export function isStableAlias(spec: string): spec is "stable" | "oldstable" {
  return spec === "stable" || spec === "oldstable";
}

/**
 * setup-go's resolveStableVersionInput over versions newest first: `stable` is the newest release, `oldstable` the
 * newest of the minor line before it.
 */
export function resolveStableAlias(alias: "stable" | "oldstable", versions: string[]): string | undefined {
  const releases = [...versions].filter((each) => !semver.prerelease(each)).sort(semver.rcompare);
  if (alias === "stable") return releases[0];
  const lines = [...new Set(releases.map((each) => `${semver.major(each)}.${semver.minor(each)}`))];
  return releases.find((each) => lines[1] !== undefined && each.startsWith(`${lines[1]}.`));
}

/** What setup-go's `go-version` accepts besides the aliases: a version or a semver range. */
export function checkGoSpec(spec: string): void {
  if (semver.validRange(spec) === null) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `'${spec}' is not a Go version, a semver range, stable or oldstable`,
    );
  }
}

/**
 * setup-go's parseGoVersionFile: go.mod and go.work give their `toolchain goX` line (unless GOTOOLCHAIN is `local`,
 * as a previous setup-go step leaves it), else their `go X` line; .tool-versions its `golang X`; any other file
 * (.go-version) its whole trimmed text.
 */
export function readGoVersionFile(fileName: string, contents: string, goToolchain?: string): string {
  const name = fileName.split("/").at(-1);
  if (name === "go.mod" || name === "go.work") {
    if (goToolchain !== "local") {
      const toolchain = contents.match(/^toolchain go(1\.\d+(?:\.\d+|rc\d+)?)/m);
      if (toolchain) return toolchain[1]!;
    }
    return contents.match(/^go (\d+(\.\d+)*)/m)?.[1] ?? "";
  }
  if (name === ".tool-versions") return contents.match(/^golang\s+([^\n#]+)/m)?.[1]?.trim() ?? "";
  return contents.trim();
}

/** setup-go's parseGoVersion over `go version` output: `go version go1.22.3 linux/amd64` → 1.22.3. */
export function goVersionOfOutput(output: string): string {
  return output.trim().split(" ")[2]?.replace(/^go/, "") ?? "";
}

/** setup-go's getArch: Node's arch names as Go's archives spell them. */
export function goArch(arch: string): string {
  return ({ x64: "amd64", x32: "386", arm: "armv6l" } as Record<string, string>)[arch] ?? arch;
}

/** setup-go caches under `go/<semver>/<arch>`; ranges match with semver, as @actions/tool-cache's find does. */
export const goKind: ToolKind = {
  tool: "go",
  label: "Go",
  addName: "go",
  satisfies: (spec, version) => semver.satisfies(version, spec),
  compare: semver.compare,
  folderOf: (version) => version,
  versionOf: (folder) => folder,
};
