// A loopback mirror shaped like go.dev/dl: `?mode=json&include=all` and goX.Y.Z.linux-<arch>.tar.gz archives laid out
// as Go's (go/VERSION, go/bin/go). No real Go can be downloaded here, so bin/go is a small shell script that answers
// `go version` and `go env NAME` as Go does: the point is the protocol, checksums, layout and cache, not the compiler.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";

export interface GoDistMirror {
  /** The download base URL (setup-go's go-download-base-url). */
  url: string;
  archiveRequests: Map<string, number>;
  /** Makes the next downloads of `version`'s archive differ from the sha256 the listing gives. */
  corrupt(version: string): void;
  close(): Promise<void>;
}

/** Go's name for this machine's arch, as go.dev/dl's files spell it. */
export const goArchHere =
  ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[os.arch()] ?? os.arch();

/** A `go` that answers like Go: `go version`, and `go env` for the variables setup-go asks about. */
export function fakeGoScript(version: string): string {
  return `#!/bin/sh
case "$1" in
  version) echo "go version go${version} linux/${goArchHere}" ;;
  env)
    case "$2" in
      GOPATH) echo "\${GOPATH:-$HOME/go}" ;;
      GOMODCACHE) echo "\${GOMODCACHE:-\${GOPATH:-$HOME/go}/pkg/mod}" ;;
      GOCACHE) echo "\${GOCACHE:-$HOME/.cache/go-build}" ;;
      GOVERSION) echo "go${version}" ;;
      GOTOOLCHAIN) echo "\${GOTOOLCHAIN:-auto}" ;;
      *) echo "" ;;
    esac ;;
  *) echo "go: unknown command $1 (a test's stand-in for Go)" >&2; exit 2 ;;
esac
`;
}

/** Writes a Go root as the release archives have it: VERSION and bin/go. */
export async function writeGoRoot(root: string, version: string): Promise<void> {
  await mkdir(path.join(root, "bin"), { recursive: true });
  await writeFile(path.join(root, "VERSION"), `go${version}\ntime 2024-05-01T00:00:00Z\n`);
  await writeFile(path.join(root, "bin", "go"), fakeGoScript(version));
  await chmod(path.join(root, "bin", "go"), 0o755);
}

/** `versions` are Go's names (1.22.3, 1.23rc1), newest first as go.dev lists them. */
export async function startGoDistMirror(versions: string[]): Promise<GoDistMirror> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-go-dl-"));
  const listing: object[] = [];
  for (const version of versions) {
    const build = path.join(root, "build", version);
    await writeGoRoot(path.join(build, "go"), version);
    const filename = `go${version}.linux-${goArchHere}.tar.gz`;
    await tar.c({ gzip: true, file: path.join(root, filename), cwd: build }, ["go"]);
    const sha256 = createHash("sha256")
      .update(await readFile(path.join(root, filename)))
      .digest("hex");
    listing.push({
      version: `go${version}`,
      stable: !/rc|beta/.test(version),
      files: [
        { filename: `go${version}.src.tar.gz`, os: "", arch: "", kind: "source", sha256: "0".repeat(64) },
        { filename, os: "linux", arch: goArchHere, kind: "archive", sha256 },
        { filename: `go${version}.darwin-arm64.pkg`, os: "darwin", arch: "arm64", kind: "installer" },
      ],
    });
  }
  const archiveRequests = new Map<string, number>();
  const corrupted = new Set<string>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://mirror");
    if (url.pathname === "/dl/" && url.searchParams.get("mode") === "json") {
      const all = url.searchParams.get("include") === "all";
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(all ? listing : listing.slice(0, 2)));
      return;
    }
    const name = path.basename(url.pathname);
    if (!url.pathname.startsWith("/dl/") || !name.endsWith(".tar.gz")) {
      response.writeHead(404).end();
      return;
    }
    archiveRequests.set(name, (archiveRequests.get(name) ?? 0) + 1);
    readFile(path.join(root, name)).then(
      (body) => {
        const isCorrupt = [...corrupted].some(
          (version) => name === `go${version}.linux-${goArchHere}.tar.gz`,
        );
        response.writeHead(200).end(isCorrupt ? Buffer.concat([body, Buffer.from("x")]) : body);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dl`,
    archiveRequests,
    corrupt: (version) => corrupted.add(version),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
