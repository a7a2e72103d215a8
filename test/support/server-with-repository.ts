// An in-process `hangar serve` without an embedded runner, its data in a temp dir, with one repository
// (octo-org/octo-repo, webhook secret "s") pointing at a git repository: for tests whose jobs run on `hangar runner`.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startServer, type RunningServer, type ServerConfig } from "../../src/server/index.js";
import { insertRepository, mintRegistrationToken } from "../../src/store/index.js";
import { pushWebhook, registerRunner } from "./hangar-process.js";

export const repositoryName = "octo-org/octo-repo";
export const webhookSecret = "s";

/** The server's data is `<base>/server`; put runners' data dirs below `base` too. Everything goes after the test. */
export async function startServerWithRepository(
  t: { after(fn: () => Promise<void>): void },
  gitRepo: string,
  config: Partial<ServerConfig> = {},
): Promise<{ server: RunningServer; base: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), "hangar-server-"));
  const server = await startServer({
    dataDir: path.join(base, "server"),
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: [],
    ...config,
  });
  t.after(async () => {
    await server.close();
    await Promise.all([gitRepo, base].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  await insertRepository(server.store, { name: repositoryName, gitUrl: gitRepo, webhookSecret });
  return { server, base };
}

/** Registers a `hangar runner` whose config and data live in `dataDir`; gives its runner token. */
export async function registerRunnerIn(
  server: RunningServer,
  dataDir: string,
  labels = ["self-hosted", "linux"],
): Promise<string> {
  const { token } = await mintRegistrationToken(server.store);
  await registerRunner({ url: server.url, registrationToken: token, dataDir, labels });
  const config = JSON.parse(await readFile(path.join(dataDir, "runner.json"), "utf8")) as {
    runnerToken: string;
  };
  return config.runnerToken;
}

/** GitHub's push webhook for `gitRepo`'s HEAD on main; gives the run it started. */
export async function pushHead(server: RunningServer, gitRepo: string): Promise<number> {
  const sha = execFileSync("git", ["-C", gitRepo, "rev-parse", "HEAD"]).toString().trim();
  const [runId] = await pushWebhook(server.store, server.url, {
    secret: webhookSecret,
    repository: repositoryName,
    sha,
    branch: "main",
  });
  return runId!;
}
