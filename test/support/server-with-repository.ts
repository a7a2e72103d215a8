// An in-process `hangar serve` without an embedded runner, its data in a temp dir, with one repository
// (octo-org/octo-repo, webhook secret "s") pointing at a git repository: for tests whose jobs run on `hangar runner`.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startServer, type RunningServer, type ServerConfig } from "../../src/server/index.js";
import { insertRepository } from "../../src/store/index.js";

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
