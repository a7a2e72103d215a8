// Starts a throwaway PostgreSQL from this machine's binaries (temp dir, loopback port) for tests and benches.
// A missing PostgreSQL fails loudly with the package to install; it never skips.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface PostgresServer {
  /** A URL for `database` on this server. */
  url(database: string): string;
  /** A fresh database cloned from the template (CREATE DATABASE … TEMPLATE); returns its URL. */
  cloneTemplate(): Promise<string>;
  /** An empty database (no migrations); returns its URL. */
  createEmptyDatabase(): Promise<string>;
  stop(): void;
}

const TEMPLATE = "hangar_template";
const USER = "hangar";

export function findBinDir(): string {
  const onPath = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).stdout.trim();
  if (onPath) return path.dirname(realpathSync(onPath));
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = path.join(root, version, "bin");
    if (existsSync(path.join(dir, "initdb"))) return dir;
  }
  throw new Error(
    "PostgreSQL binaries (initdb, pg_ctl) not found: the store tests need a real PostgreSQL 15+. " +
      "Install it with `apt-get install -y postgresql` (Debian/Ubuntu) and run the tests again.",
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, run its binaries as the `postgres` user that owns the temp dir. */
function runAsOwner(command: string, args: string[]): string[] {
  return process.getuid?.() === 0
    ? ["runuser", "-u", "postgres", "--", command, ...args]
    : [command, ...args];
}

function run(argv: string[]): void {
  execFileSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Starts a server and migrates a template database once with `prepareTemplate(url)`; every clone starts from it.
 * Stopped and removed by stop(), and at process exit if a test crashed first.
 */
export async function startPostgres(
  prepareTemplate: (url: string) => Promise<void>,
): Promise<PostgresServer> {
  const bin = findBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), "hangar-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, "data");
  const port = await freePort();
  let isStopped = false;
  const stop = () => {
    if (isStopped) return;
    isStopped = true;
    process.off("exit", stop);
    const pgCtl = runAsOwner(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    spawnSync(pgCtl[0]!, pgCtl.slice(1), { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", stop);
  try {
    run(
      runAsOwner(path.join(bin, "initdb"), [
        "-D",
        data,
        "-U",
        USER,
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
      ]),
    );
    // Durability settings off: the cluster is thrown away after the tests.
    const settings = [
      `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir}`,
      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
    ].join(" ");
    const log = path.join(dir, "server.log");
    try {
      run(runAsOwner(path.join(bin, "pg_ctl"), ["-D", data, "-o", settings, "-l", log, "-w", "start"]));
    } catch (error) {
      throw new Error(
        `PostgreSQL did not start:\n${existsSync(log) ? readFileSync(log, "utf8") : String(error)}`,
        { cause: error },
      );
    }
    const url = (database: string) => `postgres://${USER}@127.0.0.1:${port}/${database}`;
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${TEMPLATE}`);
    await prepareTemplate(url(TEMPLATE));
    let counter = 0;
    // CREATE DATABASE … TEMPLATE fails while another session uses the template; clones are made one at a time.
    let queue: Promise<unknown> = Promise.resolve();
    const create = (template: string | undefined) => {
      const name = `hangar_test_${process.pid}_${++counter}`;
      const next = queue.then(() =>
        admin(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`),
      );
      queue = next.catch(() => undefined);
      return next.then(() => url(name));
    };
    return { url, cloneTemplate: () => create(TEMPLATE), createEmptyDatabase: () => create(undefined), stop };
  } catch (error) {
    stop();
    throw error;
  }
}
