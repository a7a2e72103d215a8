// Which JDK a setup-java step asks for, decided as actions/setup-java decides it (src/util.ts, src/distributions/
// base-installer.ts, platform-types.ts): version files, `latest`, Java's version names as semver, arch names. Pure.
import semver from "semver";
import type { ToolKind } from "./tool-install.js";
import { ToolError } from "./tool-error.js";

/** What a java-version asks for: a semver range (`x` for latest) and whether only the newest will do. */
export interface JavaSpec {
  range: string;
  latest: boolean;
}

/** setup-java's convertVersionToSemver: `18.0.1.1` → 18.0.1+1 (JEP 322 versions may have more than three fields). */
function versionAsSemver(version: string): string {
  const parts = version.split(".");
  return parts.length > 3 ? `${parts.slice(0, 3).join(".")}+${parts.slice(3).join(".")}` : version;
}

/**
 * setup-java's normalizeVersion: `latest` is the newest GA release; four or more fields become build metadata;
 * anything else must be a semver range. Early-access (`-ea`) builds are not offered here.
 */
export function parseJavaSpec(version: string): JavaSpec {
  const given = version.trim();
  if (given.toLowerCase() === "latest") return { range: "x", latest: true };
  if (given.toLowerCase().startsWith("latest")) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `The 'latest' alias resolves stable (GA) releases only and cannot be combined with qualifiers (received '${given}')`,
    );
  }
  if (/-ea(\.|$)/.test(given)) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `'${given}' asks for an early-access build; hangar's setup-java installs GA releases only`,
    );
  }
  const range = /^\d+(\.\d+){3,}$/.test(given) ? versionAsSemver(given) : given;
  if (!semver.validRange(range)) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `The string '${given}' is not valid SemVer notation for a Java version`,
    );
  }
  return { range, latest: false };
}

/** setup-java's isVersionSatisfies: a version with a build (`17.0.7+7`) must match exactly, build included. */
export function javaSatisfies(range: string, version: string): boolean {
  if (!semver.valid(version)) return false;
  if (semver.valid(range) && (semver.parse(range)?.build.length ?? 0) > 0) {
    return semver.compareBuild(range, version) === 0;
  }
  return semver.satisfies(version, range);
}

/** setup-java's normalizeArchitecture: Node's and other aliases as setup-java's names (x64, aarch64, armv7 ...). */
export function javaArch(arch: string): string {
  const name = arch.trim().toLowerCase();
  return (
    ({ amd64: "x64", arm: "armv7", ia32: "x86", arm64: "aarch64", x86_64: "x64" } as Record<string, string>)[
      name
    ] ?? name
  );
}

/** What a version file said: the version and, from a vendor prefix, the distribution. */
export interface JavaVersionFile {
  version: string;
  distribution?: string;
}

/** asdf-java's vendor prefixes (`java temurin-17.0.3+7`) and SDKMAN's suffixes (`java=21.0.5-tem`) in setup-java. */
const asdfDistributions: Record<string, string> = {
  temurin: "temurin",
  adoptopenjdk: "temurin",
  zulu: "zulu",
  corretto: "corretto",
  liberica: "liberica",
  microsoft: "microsoft",
  semeru: "semeru",
  ibm: "semeru",
  dragonwell: "dragonwell",
  graalvm: "graalvm",
  oracle: "oracle",
  sapmachine: "sapmachine",
  kona: "kona",
  jetbrains: "jetbrains",
};
const sdkmanDistributions: Record<string, string> = {
  tem: "temurin",
  sem: "semeru",
  albba: "dragonwell",
  zulu: "zulu",
  amzn: "corretto",
  graal: "graalvm",
  graalce: "graalvm",
  librca: "liberica",
  ms: "microsoft",
  oracle: "oracle",
  sapmchn: "sapmachine",
  jbr: "jetbrains",
  dragonwell: "dragonwell",
  kona: "kona",
};

/**
 * setup-java's getVersionFromFileContent: `.tool-versions` gives its `java [vendor-]X` line, `.sdkmanrc` its
 * `java=X[-vendor]`, any other file (.java-version) its first version-looking word; `1.8` means 8; a version that is
 * no range is coerced. Undefined when the file names no version.
 */
export function readJavaVersionFile(fileName: string, contents: string): JavaVersionFile | undefined {
  const name = fileName.split("/").at(-1);
  const pattern =
    name === ".tool-versions"
      ? /^java\s+(?:(?<distribution>\S*)-)?(?<version>\d+(?:\.\d+)*([+_.-](?:openj9[-._]?\d[\w.-]*|java\d+|jre[-_\w]*|OpenJDK\d+[\w_.-]*|[a-z0-9]+))*)/im
      : name === ".sdkmanrc"
        ? /^java\s*=\s*(?<version>[^-\s]+)(?:-(?<distribution>[a-z0-9]+))?/m
        : /(?<version>(?<=(^|\s|-))(\d+\S*))(\s|$)/;
  const match = contents.trim().match(pattern);
  const captured = match?.groups?.["version"];
  if (!captured) return undefined;
  const vendor = match.groups?.["distribution"]?.toLowerCase();
  const distribution = !vendor
    ? undefined
    : name === ".sdkmanrc"
      ? sdkmanDistributions[vendor]
      : vendor.startsWith("graalvm-community")
        ? "graalvm-community"
        : vendor.startsWith("oracle-graalvm")
          ? "graalvm"
          : asdfDistributions[vendor.split("-")[0]!];
  const tentative = captured.startsWith("1.") ? captured.slice(2) : captured;
  const version = semver.validRange(tentative.split("-")[0]) ? tentative : semver.coerce(tentative)?.version;
  if (!version) return undefined;
  return distribution ? { version, distribution } : { version };
}

/**
 * setup-java's getJavaVersionFromReleaseFile: a JDK's `release` file gives JAVA_RUNTIME_VERSION's numbers
 * (`17.0.15+6-Debian-1deb12u1` → 17.0.15+6), else JAVA_VERSION, padded to three fields.
 */
export function javaVersionOfRelease(release: string): string | undefined {
  const properties = new Map(
    release
      .split(/\r?\n/)
      .map((line) => line.match(/^([A-Z0-9_]+)="(.*)"$/))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
  const runtime = properties.get("JAVA_RUNTIME_VERSION")?.match(/^(\d+(?:\.\d+)*(?:\+\d+(?:\.\d+)*)?)/)?.[1];
  const plain = properties.get("JAVA_VERSION");
  const version = runtime ?? (plain && /^\d+(?:\.\d+)*$/.test(plain) ? plain : undefined);
  return version && javaReleaseVersion(version);
}

/** `java -version`'s build line (`(build 17.0.15+6-Debian-1deb12u1)`) as a version, for a JDK with no release file. */
export function javaVersionOfOutput(output: string): string | undefined {
  const build = output.match(/\(build (\d+(?:\.\d+)*(?:\+\d+(?:\.\d+)*)?)/)?.[1];
  return build && javaReleaseVersion(build);
}

function javaReleaseVersion(version: string): string {
  const [numbers, build] = version.split("+", 2) as [string, string | undefined];
  const parts = numbers.split(".");
  while (parts.length < 3) parts.push("0");
  const extra = [...parts.slice(3), ...(build ? [build] : [])];
  return extra.length > 0 ? `${parts.slice(0, 3).join(".")}+${extra.join(".")}` : parts.slice(0, 3).join(".");
}

/**
 * setup-java's tool cache naming: `Java_<distribution>_<package>/<version>/<arch>`, the version's `+` written `-`
 * ("Kotlin and some Java dependencies don't work properly when Java path contains +").
 */
export function javaKind(distribution: string, packageType: string): ToolKind {
  return {
    tool: `Java_${distribution}_${packageType}`,
    label: `Java ${distribution} ${packageType}`,
    addName: "java",
    satisfies: javaSatisfies,
    compare: semver.compareBuild,
    folderOf: (version) => version.replace("+", "-"),
    versionOf: (folder) => folder.replace("-", "+"),
  };
}
