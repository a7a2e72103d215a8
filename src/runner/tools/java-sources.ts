// Where a JDK comes from besides the tool cache: one already on this machine (linked in, not copied) and any server
// with the Adoptium API's version listing (setup-java's temurin distribution), whose archives are checked by sha256.
import { execFile } from "node:child_process";
import { readdir, readFile, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { findExecutable } from "../find-executable.js";
import { downloadAndUnpack, fetchJsonPages, HttpMirrorSource } from "./download.js";
import { javaArch, javaVersionOfOutput, javaVersionOfRelease } from "./java-version.js";
import { linkInstall, realPathsOnce, type ToolSource } from "./tool-install.js";
import { ToolError } from "./tool-error.js";

interface HostJdk {
  home: string;
  version: string;
  arch: string;
  /** bin/javac is there: a JDK, which serves a `jre` request too. */
  isJdk: boolean;
}

/** Where Debian, Ubuntu, Fedora and Adoptium's packages put JDKs. */
async function wellKnownJavaHomes(): Promise<string[]> {
  return (await readdir("/usr/lib/jvm").catch(() => [] as string[])).map((name) =>
    path.join("/usr/lib/jvm", name),
  );
}

async function describeJdk(home: string): Promise<HostJdk | undefined> {
  const java = path.join(home, "bin", "java");
  if (!findExecutable(java, undefined)) return undefined;
  const release = await readFile(path.join(home, "release"), "utf8").catch(() => "");
  let version = javaVersionOfRelease(release);
  if (!version) {
    // `java -version` writes to stderr.
    const output = await promisify(execFile)(java, ["-version"], { timeout: 20_000 }).then(
      ({ stderr }) => stderr,
      () => "",
    );
    version = javaVersionOfOutput(output);
  }
  if (!version) return undefined;
  const osArch = release.match(/^OS_ARCH="(.*)"$/m)?.[1];
  return {
    home,
    version,
    arch: javaArch(osArch ?? os.arch()),
    isJdk: findExecutable(path.join(home, "bin", "javac"), undefined) !== undefined,
  };
}

/**
 * The JDKs on this machine: JAVA_HOME, the real home of the `java` on the runner's PATH (/usr/bin/java is a chain of
 * links into /usr/lib/jvm), and each of /usr/lib/jvm/*. Any vendor's build stands in for the distribution asked for:
 * a host JDK is the same OpenJDK, and leaving `host` out of the tool sources keeps to the vendor's own archives.
 */
export class HostJdkSource implements ToolSource {
  private found: Promise<HostJdk[]> | undefined;

  constructor(
    private readonly packageType: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly homes: () => Promise<string[]> = wellKnownJavaHomes,
  ) {}

  get description(): string {
    return "this machine";
  }

  private jdks(): Promise<HostJdk[]> {
    this.found ??= (async () => {
      const onPath = findExecutable("java", this.env["PATH"]);
      const candidates = [
        ...(this.env["JAVA_HOME"] ? [this.env["JAVA_HOME"]] : []),
        ...(onPath ? [path.dirname(path.dirname(await realpath(onPath)))] : []),
        ...(await this.homes()),
      ];
      const jdks: HostJdk[] = [];
      for (const home of await realPathsOnce(candidates)) {
        const jdk = await describeJdk(home);
        if (jdk && (jdk.isJdk || this.packageType === "jre")) jdks.push(jdk);
      }
      return jdks;
    })();
    return this.found;
  }

  async versions(arch: string): Promise<string[]> {
    return (await this.jdks()).filter((each) => each.arch === arch).map((each) => each.version);
  }

  async fill(version: string, arch: string, dir: string): Promise<void> {
    const jdk = (await this.jdks()).find((each) => each.version === version && each.arch === arch);
    if (!jdk) throw new ToolError("TOOL_VERSION_UNAVAILABLE", `this machine has no JDK ${version} (${arch})`);
    await linkInstall(jdk.home, dir);
  }
}

/** One release in the Adoptium API's `/v3/assets/version/{range}` answer (the fields setup-java reads). */
interface AdoptiumRelease {
  binaries: Array<{ package: { link: string; checksum?: string; name?: string } }>;
  version_data: { semver: string };
}

/** Adoptium's OS names (setup-java's getPlatformOption). */
function adoptiumOs(platform: string): string {
  return ({ darwin: "mac", win32: "windows" } as Record<string, string>)[platform] ?? platform;
}

/**
 * A server with the Adoptium API (api.adoptium.net): `/v3/assets/version/[1.0,100.0]` with setup-java's query lists
 * every GA release, 20 to a page, each with its archive's link and sha256; the archive holds `jdk-X/bin/java` ...
 */
export class AdoptiumSource extends HttpMirrorSource implements ToolSource {
  private readonly listings = new Map<string, Promise<AdoptiumRelease[]>>();

  constructor(
    baseUrl: string,
    private readonly packageType: string,
    platform?: string,
  ) {
    super("Adoptium mirror", baseUrl, platform);
  }

  private releases(arch: string, signal?: AbortSignal): Promise<AdoptiumRelease[]> {
    let listing = this.listings.get(arch);
    if (!listing) {
      const query = [
        "project=jdk",
        "vendor=adoptium",
        "heap_size=normal",
        "sort_method=DEFAULT",
        "sort_order=DESC",
        `os=${adoptiumOs(this.platform)}`,
        `architecture=${arch === "armv7" ? "arm" : arch}`,
        `image_type=${this.packageType}`,
        "release_type=ga",
        "jvm_impl=hotspot",
        "page_size=20",
        "page=0",
      ].join("&");
      listing = fetchJsonPages<AdoptiumRelease>(
        `${this.baseUrl}/v3/assets/version/${encodeURI("[1.0,100.0]")}?${query}`,
        signal,
      );
      listing.catch(() => this.listings.delete(arch));
      this.listings.set(arch, listing);
    }
    return listing;
  }

  async versions(arch: string, signal?: AbortSignal): Promise<string[]> {
    return (await this.releases(arch, signal))
      .filter((release) => release.binaries.length > 0)
      .map((release) => release.version_data.semver);
  }

  async fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void> {
    const release = (await this.releases(arch, signal)).find((each) => each.version_data.semver === version);
    const archive = release?.binaries[0]?.package;
    if (!archive)
      throw new ToolError("TOOL_VERSION_UNAVAILABLE", `${this.description} has no JDK ${version}`);
    if (!archive.checksum) {
      throw new ToolError(
        "TOOL_INTEGRITY_MISMATCH",
        `${this.description} gives no sha256 for ${archive.link}`,
      );
    }
    await downloadAndUnpack(
      archive.link,
      { algorithm: "sha256", encoding: "hex", value: archive.checksum },
      dir,
      signal,
    );
  }
}
