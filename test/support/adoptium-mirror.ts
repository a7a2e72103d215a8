// A loopback server with the Adoptium API's `/v3/assets/version/{range}` (two releases a page, paged by Link headers
// as api.adoptium.net pages) and Temurin-shaped archives (jdk-X/release, jdk-X/bin/java). No JDK is downloaded here:
// bin/java is a shell script that answers `-version` and `--version` as a JDK does.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";

export interface AdoptiumMirror {
  url: string;
  /** The query of each listing request, for checking what was asked. */
  listingQueries: URLSearchParams[];
  archiveRequests: Map<string, number>;
  corrupt(version: string): void;
  close(): Promise<void>;
}

const pageSize = 2;

function fakeJavaScript(version: string): string {
  const [numbers] = version.split("+");
  const banner = `openjdk ${numbers} 2024-04-16 LTS\nOpenJDK Runtime Environment Temurin-${version} (build ${version}-LTS)`;
  return `#!/bin/sh
case "$1" in
  -version) printf '%s\\n' '${banner.replace(/^openjdk (\S+)/, 'openjdk version "$1"')}' >&2 ;;
  --version) printf '%s\\n' '${banner}' ;;
  *) echo "java: a test's stand-in for a JDK" >&2; exit 1 ;;
esac
`;
}

/** `versions` are Temurin's semver (21.0.3+9), newest first as the API sorts them. */
export async function startAdoptiumMirror(versions: string[]): Promise<AdoptiumMirror> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-adoptium-"));
  const releases: Array<{ version: string; name: string; checksum: string }> = [];
  const arch = ({ x64: "x64", arm64: "aarch64" } as Record<string, string>)[os.arch()] ?? os.arch();
  for (const version of versions) {
    const top = `jdk-${version}`;
    const home = path.join(root, "build", top);
    await mkdir(path.join(home, "bin"), { recursive: true });
    for (const tool of ["java", "javac"]) {
      await writeFile(path.join(home, "bin", tool), fakeJavaScript(version));
      await chmod(path.join(home, "bin", tool), 0o755);
    }
    await writeFile(
      path.join(home, "release"),
      `IMPLEMENTOR="Eclipse Adoptium"\nJAVA_RUNTIME_VERSION="${version}-LTS"\nJAVA_VERSION="${version.split("+")[0]}"\nOS_ARCH="${os.arch() === "x64" ? "x86_64" : os.arch()}"\n`,
    );
    const name = `OpenJDK-jdk_${arch}_linux_hotspot_${version.replace("+", "_")}.tar.gz`;
    await tar.c({ gzip: true, file: path.join(root, name), cwd: path.join(root, "build") }, [top]);
    const checksum = createHash("sha256")
      .update(await readFile(path.join(root, name)))
      .digest("hex");
    releases.push({ version, name, checksum });
  }
  const listingQueries: URLSearchParams[] = [];
  const archiveRequests = new Map<string, number>();
  const corrupted = new Set<string>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://mirror");
    const base = `http://${request.headers.host}`;
    if (decodeURIComponent(url.pathname) === "/v3/assets/version/[1.0,100.0]") {
      listingQueries.push(url.searchParams);
      const page = Number(url.searchParams.get("page") ?? 0);
      const slice = releases.slice(page * pageSize, (page + 1) * pageSize);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if ((page + 1) * pageSize < releases.length) {
        const next = new URL(url.href.replace("http://mirror", base));
        next.searchParams.set("page", String(page + 1));
        headers["link"] = `<${next.href}>; rel="next"`;
      }
      response.writeHead(200, headers).end(
        JSON.stringify(
          slice.map((each) => ({
            binaries: [
              {
                package: {
                  name: each.name,
                  link: `${base}/binary/${each.name}`,
                  checksum: each.checksum,
                  checksum_link: `${base}/binary/${each.name}.sha256.txt`,
                },
              },
            ],
            release_name: `jdk-${each.version}`,
            version_data: { semver: each.version, major: Number(each.version.split(".")[0]) },
          })),
        ),
      );
      return;
    }
    const name = path.basename(url.pathname);
    const release = releases.find((each) => each.name === name);
    if (!url.pathname.startsWith("/binary/") || !release) {
      response.writeHead(404).end();
      return;
    }
    archiveRequests.set(release.version, (archiveRequests.get(release.version) ?? 0) + 1);
    readFile(path.join(root, name)).then((body) =>
      response
        .writeHead(200)
        .end(corrupted.has(release.version) ? Buffer.concat([body, Buffer.from("x")]) : body),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    listingQueries,
    archiveRequests,
    corrupt: (version) => corrupted.add(version),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
