// Where Go comes from besides the tool cache: a Go already on this machine (linked in, not copied) and any mirror
// shaped like go.dev/dl (setup-go's go-download-base-url), whose archives are checked against its sha256.
import { execFile } from "node:child_process";
import { readdir, readFile, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { findExecutable } from "../find-executable.js";
import { downloadAndUnpack, fetchJson, HttpMirrorSource, keptUntilFailure } from "./download.js";
import { goArch, goSemver, goVersionOfOutput } from "./go-version.js";
import { linkInstall, realPathsOnce, type ToolSource } from "./tool-install.js";
import { ToolError } from "./tool-error.js";

interface HostInstall {
  root: string;
  version: string;
}

/** Where distributions put Go: the official archive's place, and Debian's and Ubuntu's golang-X.Y packages. */
async function wellKnownGoRoots(): Promise<string[]> {
  const debian = (await readdir("/usr/lib").catch(() => [] as string[]))
    .filter((name) => /^go(-\d+(\.\d+)*)?$/.test(name))
    .map((name) => path.join("/usr/lib", name));
  return ["/usr/local/go", ...debian];
}

/** A Go root's version: its VERSION file (`go1.22.3`, in every release archive), else what `go version` says. */
async function goVersionAt(root: string): Promise<string | undefined> {
  const file = await readFile(path.join(root, "VERSION"), "utf8").catch(() => "");
  const named = file.split("\n")[0]!.trim();
  if (named) return goSemver(named);
  const output = await promisify(execFile)(path.join(root, "bin", "go"), ["version"], {
    timeout: 10_000,
    env: { ...process.env, GOTOOLCHAIN: "local" },
  }).then(
    ({ stdout }) => stdout,
    () => "",
  );
  return goSemver(goVersionOfOutput(output));
}

/**
 * The Go installs on this machine: the `go` on the runner's PATH (its real GOROOT), /usr/local/go and /usr/lib/go-*.
 * Only for this machine's arch: a Go for another arch is never among them.
 */
export class HostGoSource implements ToolSource {
  private found: Promise<HostInstall[]> | undefined;

  constructor(
    private readonly pathVariable: string | undefined = process.env["PATH"],
    private readonly roots: () => Promise<string[]> = wellKnownGoRoots,
  ) {}

  get description(): string {
    return "this machine";
  }

  private installs(): Promise<HostInstall[]> {
    this.found ??= (async () => {
      const onPath = findExecutable("go", this.pathVariable);
      const candidates = [
        ...(onPath ? [path.dirname(path.dirname(await realpath(onPath)))] : []),
        ...(await this.roots()),
      ];
      const installs: HostInstall[] = [];
      for (const root of await realPathsOnce(candidates)) {
        if (!findExecutable(path.join(root, "bin", "go"), undefined)) continue;
        const version = await goVersionAt(root);
        if (version) installs.push({ root, version });
      }
      return installs;
    })();
    return this.found;
  }

  async versions(arch: string): Promise<string[]> {
    if (arch !== os.arch()) return [];
    return (await this.installs()).map((each) => each.version);
  }

  async fill(version: string, _arch: string, dir: string): Promise<void> {
    const install = (await this.installs()).find((each) => each.version === version);
    if (!install) throw new ToolError("TOOL_VERSION_UNAVAILABLE", `this machine has no Go ${version}`);
    await linkInstall(install.root, dir);
  }
}

/** One release in go.dev/dl's `?mode=json&include=all` listing, newest first. */
interface GoRelease {
  version: string;
  stable: boolean;
  files: Array<{ filename: string; os: string; arch: string; kind?: string; sha256?: string }>;
}

/**
 * A mirror shaped like go.dev/dl: `?mode=json&include=all` lists every release with its files and their sha256;
 * `goX.Y.Z.<os>-<arch>.tar.gz` holds `go/bin/go` ...
 */
export class GoDistMirrorSource extends HttpMirrorSource implements ToolSource {
  constructor(baseUrl: string, platform?: string) {
    super("Go mirror", baseUrl, platform);
  }

  private readonly releases = keptUntilFailure(
    async (signal) => (await fetchJson<GoRelease[]>(`${this.baseUrl}/?mode=json&include=all`, signal)) ?? [],
  );

  /** setup-go's findMatch: the release's archive for this OS and arch (the listing also has installers, sources). */
  private archiveOf(release: GoRelease, arch: string): GoRelease["files"][number] | undefined {
    return release.files.find(
      (file) =>
        file.os === this.platform && file.arch === goArch(arch) && (file.kind ?? "archive") === "archive",
    );
  }

  async versions(arch: string, signal?: AbortSignal): Promise<string[]> {
    return (await this.releases(signal))
      .filter((release) => this.archiveOf(release, arch))
      .map((release) => goSemver(release.version))
      .filter((each): each is string => each !== undefined);
  }

  async fill(version: string, arch: string, dir: string, signal?: AbortSignal): Promise<void> {
    const release = (await this.releases(signal)).find((each) => goSemver(each.version) === version);
    const file = release && this.archiveOf(release, arch);
    if (!file) throw new ToolError("TOOL_VERSION_UNAVAILABLE", `${this.description} has no Go ${version}`);
    if (!file.sha256) {
      throw new ToolError(
        "TOOL_INTEGRITY_MISMATCH",
        `${this.description} lists no sha256 for ${file.filename}`,
      );
    }
    await downloadAndUnpack(
      `${this.baseUrl}/${file.filename}`,
      { algorithm: "sha256", encoding: "hex", value: file.sha256 },
      dir,
      signal,
    );
  }
}
