// Test images built without Docker from Debian packages (apt-get download + dpkg-deb -x, umoci to make the OCI
// layout), cached on disk across test processes, pushed to a test's loopback registry with skopeo.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { lockFile } from "../../src/runner/containers/images/file-lock.js";
import type { OciRegistry } from "./oci-registry.js";

const run = promisify(execFile);

export type TestImageName = "debian-bash" | "debian-psql" | "postgres" | "big";

/** Image references in the registry the images were pushed to. */
export type TestImages = Record<TestImageName, string>;

const aptDependsFlags = [
  "depends",
  "--recurse",
  "--no-recommends",
  "--no-suggests",
  "--no-conflicts",
  "--no-breaks",
  "--no-replaces",
  "--no-enhances",
];

const basePackages = ["bash", "dash", "coreutils", "util-linux"];
const postgresPackages = ["postgresql-15"];
/** psql for jobs that query a PostgreSQL service (container jobs in test/runner/container-jobs.test.ts). */
const psqlPackages = ["postgresql-client-15"];
/** Alternatives apt-cache lists that a server in a container does not need (JIT compiler, all locales). */
const skippedPackages = new Set(["libllvm14", "libz3-4", "locales-all", "usrmerge", "usr-is-merged"]);
/** The big image's extra layer: random bytes do not compress, so the image is ~25 MB base + this on the wire. */
const bigPayloadBytes = 80 * 1024 * 1024;

const basePasswd = [
  "root:x:0:0:root:/root:/bin/bash",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
];
const baseGroup = ["root:x:0:", "nogroup:x:65534:"];
const pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Like the official postgres image's entrypoint: POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
 * POSTGRES_USER, POSTGRES_DB; initdb as the postgres user when PGDATA is empty; then postgres on 0.0.0.0:5432.
 */
const postgresEntrypoint = `#!/bin/bash
set -euo pipefail
: "\${POSTGRES_USER:=postgres}" "\${POSTGRES_DB:=$POSTGRES_USER}" "\${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
as_postgres() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi
}
if [ "\${1:-}" = postgres ]; then
  if [ -z "\${POSTGRES_PASSWORD:-}" ] && [ "\${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo "error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  mkdir -p "$PGDATA" /var/run/postgresql
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PGDATA" /var/run/postgresql; fi
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile="$(mktemp)"
    printf '%s' "\${POSTGRES_PASSWORD:-unused}" > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pwfile"; fi
    as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C \\
      --auth-local=trust --auth-host="\${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    echo "host all all all \${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
      as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
      as_postgres psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\
        -c "CREATE DATABASE \\"$POSTGRES_DB\\"" >/dev/null
      as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    echo "database initialised in $PGDATA"
  fi
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$@" -c listen_addresses='*' 2>/dev/null \\
    || exec "$@" -c listen_addresses='*'
fi
exec "$@"
`;

/** Everything that shapes the images: a change here builds them anew in a new cache directory. */
const recipe = {
  version: 1,
  basePackages,
  postgresPackages,
  psqlPackages,
  skippedPackages: [...skippedPackages],
  basePasswd,
  postgresEntrypoint,
  bigPayloadBytes,
};
const recipeHash = createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 16);
export const testImagesCacheDir = path.join(os.tmpdir(), `hangar-test-images-${recipeHash}`);

async function packageClosure(packages: string[]): Promise<string[]> {
  const { stdout } = await run("apt-cache", [...aptDependsFlags, ...packages], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const names = stdout
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith(" ") && !line.startsWith("<"))
    .filter((name) => !skippedPackages.has(name));
  return [...new Set(names)].sort();
}

/** Downloads the packages and extracts them into rootfs, without running maintainer scripts (as debootstrap's first stage). */
async function extractPackages(packages: string[], workDir: string, rootfs: string): Promise<void> {
  const debs = path.join(workDir, "debs");
  await mkdir(debs, { recursive: true });
  await mkdir(rootfs, { recursive: true });
  await run("apt-get", ["download", "-q", ...packages], { cwd: debs, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stderr?: string }) => {
      throw new Error(
        `apt-get download failed (the Debian package registry must be reachable): ${error.stderr}`,
      );
    },
  );
  for (const deb of (await readdir(debs)).filter((name) => name.endsWith(".deb")).sort()) {
    await run("dpkg-deb", ["-x", path.join(debs, deb), rootfs]);
  }
  await rm(debs, { recursive: true, force: true });
}

async function umoci(...args: string[]): Promise<void> {
  await run("umoci", args, { maxBuffer: 64 * 1024 * 1024 });
}

async function buildBase(layout: string, workDir: string): Promise<void> {
  const rootfs = path.join(workDir, "base");
  await extractPackages(await packageClosure(basePackages), workDir, rootfs);
  await writeFile(path.join(rootfs, "etc/passwd"), basePasswd.join("\n") + "\n");
  await writeFile(path.join(rootfs, "etc/group"), baseGroup.join("\n") + "\n");
  await umoci("new", "--image", `${layout}:debian-bash`);
  await umoci("insert", "--image", `${layout}:debian-bash`, rootfs, "/");
  await umoci(
    "config",
    "--image",
    `${layout}:debian-bash`,
    `--config.env=${pathEnv}`,
    "--config.cmd=/bin/bash",
    "--config.workingdir=/",
    "--config.user=root",
  );
}

async function buildPostgres(layout: string, workDir: string): Promise<void> {
  const base = new Set(await packageClosure(basePackages));
  const packages = (await packageClosure(postgresPackages)).filter((name) => !base.has(name));
  const rootfs = path.join(workDir, "postgres");
  await extractPackages(packages, workDir, rootfs);
  await rm(path.join(rootfs, "usr/lib/postgresql/15/lib/llvmjit.so"), { force: true });
  await writeFile(
    path.join(rootfs, "etc/passwd"),
    [...basePasswd, "postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/bash"].join("\n") + "\n",
  );
  await writeFile(path.join(rootfs, "etc/group"), [...baseGroup, "postgres:x:999:"].join("\n") + "\n");
  const entrypoint = path.join(rootfs, "usr/local/bin/docker-entrypoint.sh");
  await mkdir(path.dirname(entrypoint), { recursive: true });
  await writeFile(entrypoint, postgresEntrypoint);
  await chmod(entrypoint, 0o755);
  // Start from the base image's layer, so pulling both downloads it once.
  await umoci("tag", "--image", `${layout}:debian-bash`, "postgres");
  await umoci("insert", "--image", `${layout}:postgres`, rootfs, "/");
  await umoci(
    "config",
    "--image",
    `${layout}:postgres`,
    `--config.env=PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    "--config.env=PGDATA=/var/lib/postgresql/data",
    "--config.entrypoint=docker-entrypoint.sh",
    "--config.cmd=postgres",
    "--config.exposedports=5432/tcp",
    "--config.workingdir=/",
  );
}

async function buildPsql(layout: string, workDir: string): Promise<void> {
  const base = new Set(await packageClosure(basePackages));
  const packages = (await packageClosure(psqlPackages)).filter((name) => !base.has(name));
  const rootfs = path.join(workDir, "psql");
  await extractPackages(packages, workDir, rootfs);
  await umoci("tag", "--image", `${layout}:debian-bash`, "debian-psql");
  await umoci("insert", "--image", `${layout}:debian-psql`, rootfs, "/");
  // psql itself, not Debian's perl wrapper in /usr/bin.
  await umoci(
    "config",
    "--image",
    `${layout}:debian-psql`,
    `--config.env=PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  );
}

async function buildBig(layout: string, workDir: string): Promise<void> {
  const payload = path.join(workDir, "payload");
  await mkdir(payload, { recursive: true });
  await writeFile(path.join(payload, "random.bin"), randomBytes(bigPayloadBytes));
  await umoci("tag", "--image", `${layout}:debian-bash`, "big");
  await umoci("insert", "--image", `${layout}:big`, payload, "/opt/payload");
}

const builders: Record<TestImageName, (layout: string, workDir: string) => Promise<void>> = {
  "debian-bash": buildBase,
  "debian-psql": buildPsql,
  postgres: buildPostgres,
  big: buildBig,
};

/** Serialises builders across test processes; the lock goes with the process holding it. */
async function withBuildLock<T>(action: () => Promise<T>): Promise<T> {
  const lock = (await lockFile(`${testImagesCacheDir}.lock`))!;
  try {
    return await action();
  } finally {
    await lock.release();
  }
}

/** The cached OCI layout holding (at least) the named images, built now if missing. */
export async function buildTestImages(names: TestImageName[]): Promise<string> {
  const layout = path.join(testImagesCacheDir, "layout");
  const wanted: TestImageName[] = names.some((name) => name !== "debian-bash")
    ? ["debian-bash", ...names]
    : names;
  const marker = (name: TestImageName): string => path.join(testImagesCacheDir, `built-${name}`);
  if (wanted.every((name) => existsSync(marker(name)))) return layout;
  return withBuildLock(async () => {
    await mkdir(testImagesCacheDir, { recursive: true });
    if (!existsSync(path.join(layout, "index.json"))) {
      const temp = `${layout}.tmp-${process.pid}`;
      await rm(temp, { recursive: true, force: true });
      await umoci("init", "--layout", temp);
      await rename(temp, layout);
    }
    for (const name of new Set(wanted)) {
      if (existsSync(marker(name))) continue;
      const workDir = path.join(testImagesCacheDir, `work-${name}`);
      await rm(workDir, { recursive: true, force: true });
      await builders[name](layout, workDir);
      await umoci("gc", "--layout", layout);
      await rm(workDir, { recursive: true, force: true });
      await writeFile(marker(name), new Date().toISOString());
    }
    return layout;
  });
}

/** Pushes the named images (all by default) to the registry as hangar-test/<name>:1 and returns their references. */
export async function testImages<Name extends TestImageName = TestImageName>(
  registry: OciRegistry,
  names: Name[] = ["debian-bash", "postgres", "big"] as Name[],
): Promise<Record<Name, string>> {
  const layout = await buildTestImages(names);
  const references = {} as Record<Name, string>;
  for (const name of names) {
    const reference = `${registry.host}/hangar-test/${name}:1`;
    await run("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:${name}`,
      `docker://${reference}`,
    ]);
    references[name] = reference;
  }
  return references;
}
