// Temp workspaces and data directories for content store tests; everything is removed after each test.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import { HostExecutor, JobFileAgent, type JobFileAccess } from "../../src/runner/index.js";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

/** A job on the host executor whose workspace is `workspace`: the options the store's calls take for its files. */
export interface JobFilesOptions {
  workspace: string;
  files: JobFileAccess;
  dirs: { workspace: string; temp: string; toolCache: string };
  /** The same job's files seen with another environment (a HOME of the test's choosing). */
  withEnv(env: Record<string, string>): JobFileAccess;
}

export interface StoreFixture {
  root: string;
  workspace: string;
  dataDir: string;
  /** Writes files under the workspace: relative path to content. */
  write(files: Record<string, string>): Promise<void>;
  dir(name: string): string;
  /** A job whose workspace is this directory (default: the fixture's); its files reached through its file agent. */
  job(workspace?: string): Promise<JobFilesOptions>;
}

export async function createFixture(): Promise<StoreFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-store-"));
  roots.push(root);
  const workspace = path.join(root, "workspace");
  await mkdir(workspace);
  return {
    root,
    workspace,
    dataDir: path.join(root, "data"),
    dir: (name) => path.join(root, name),
    async job(jobWorkspace = workspace) {
      await mkdir(jobWorkspace, { recursive: true });
      const executor = new HostExecutor({ baseDir: path.join(root, "jobs") });
      const dirs = await executor.prepare({
        runId: "run-1",
        jobKey: "store",
        workspace: jobWorkspace,
        bindWorkspace: true,
      });
      const agent = new JobFileAgent(executor, dirs);
      const withEnv = (env: Record<string, string>) => agent.access({ env });
      return { workspace: jobWorkspace, files: withEnv({ HOME: os.homedir() }), dirs, withEnv };
    },
    async write(files) {
      for (const [relative, content] of Object.entries(files)) {
        const file = path.join(workspace, relative);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    },
  };
}

/** Every regular file under a directory as sorted relative path -> content. */
export async function readTree(directory: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files)
    tree[path.relative(directory, file).split(path.sep).join("/")] = await readFile(file, "utf8");
  return tree;
}

export const dayMs = 24 * 60 * 60 * 1000;

/** A clock the test moves by hand, so elapsed time is simulated, never slept. */
export function createClock(start = new Date("2030-01-01T00:00:00Z")): {
  now: () => Date;
  advance(ms: number): void;
} {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (ms) => void (current += ms) };
}
