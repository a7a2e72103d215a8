// A real OCI registry for tests: Debian's docker-registry (distribution v2) on a free loopback port, plain HTTP,
// storage in a temp dir, optional htpasswd auth. Its access log tells tests which blobs were downloaded.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface RegistryRequest {
  method: string;
  path: string;
  status: number;
  /** Response body bytes. */
  bytes: number;
}

export interface OciRegistry {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  host: string;
  /** Requests answered so far, from the registry's access log. */
  requests(): RegistryRequest[];
  /** Copies `tag` of the OCI layout `layout` here as `reference` (host included), signed in when the registry has auth. */
  push(layout: string, tag: string, reference: string): Promise<void>;
  stop(): Promise<void>;
}

const registryBinary = "/usr/bin/docker-registry";

/** A port nothing listens on right now: the registry's, or a closed one for "unreachable" tests. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** docker-registry accepts only bcrypt htpasswd lines; Python's crypt (Debian python3) makes them without apache2-utils. */
function htpasswdLine(username: string, password: string): string {
  const result = spawnSync(
    "python3",
    [
      "-W",
      "ignore",
      "-c",
      "import crypt, sys; print(sys.argv[1] + ':' + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))",
      username,
      password,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`python3 could not make a bcrypt htpasswd line: ${result.stderr}`);
  return result.stdout;
}

export async function startOciRegistry(
  options: { auth?: { username: string; password: string } } = {},
): Promise<OciRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-registry-"));
  const port = await freePort();
  const config = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${path.join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.auth) {
    await writeFile(path.join(dir, "htpasswd"), htpasswdLine(options.auth.username, options.auth.password));
    config.push("auth:", "  htpasswd:", "    realm: hangar-test", `    path: ${path.join(dir, "htpasswd")}`);
  }
  await writeFile(path.join(dir, "config.yml"), config.join("\n") + "\n");

  const child: ChildProcess = spawn(registryBinary, ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const requests: RegistryRequest[] = [];
  let output = "";
  // Access log lines look like: 127.0.0.1 - - [date] "GET /v2/x/blobs/sha256:... HTTP/1.1" 200 541 "" "skopeo/1.9.3"
  const accessLine = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+|-)/;
  let pending = "";
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const match = accessLine.exec(line);
      if (match)
        requests.push({
          method: match[1]!,
          path: match[2]!,
          status: Number(match[3]),
          bytes: Number(match[4]) || 0,
        });
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  let startError: Error | undefined;
  child.on("error", (error) => (startError = error));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    if (!startError) await exited;
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when /v2/ answers (200, or 401 with auth on).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || startError) {
      await stop();
      throw new Error(
        `docker-registry did not start (is the Debian package 'docker-registry' installed?): ${startError?.message ?? ""}\n${output}`,
      );
    }
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const host = `127.0.0.1:${port}`;
  const push = async (layout: string, tag: string, reference: string): Promise<void> => {
    const args = [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:${tag}`,
      `docker://${reference}`,
    ];
    if (options.auth) {
      // An auth file, as hangar itself passes credentials: never on a command line.
      const authFile = path.join(dir, "push-auth.json");
      const encoded = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64");
      await writeFile(authFile, JSON.stringify({ auths: { [host]: { auth: encoded } } }), { mode: 0o600 });
      args.splice(1, 0, "--dest-authfile", authFile);
    }
    const result = spawnSync("skopeo", args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`skopeo could not push ${reference}: ${result.stderr}`);
  };
  return { host, requests: () => [...requests], push, stop };
}
