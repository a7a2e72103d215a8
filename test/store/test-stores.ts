// Opens stores for the store tests on both dialects: SQLite in a temp dir, PostgreSQL as a clone of a migrated template.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import {
  insertRepository,
  insertRun,
  openStore,
  type Dialect,
  type NewJobInput,
  type NewRunInput,
  type Store,
} from "../../src/store/index.js";
import { startPostgres, type PostgresServer } from "../support/postgres.js";

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres"];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let postgres: Promise<PostgresServer> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

after(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (postgres) (await postgres).stop();
});

function usePostgres(): Promise<PostgresServer> {
  postgres ??= startPostgres(async (url) => {
    const store = await openStore({ url, dataDir: os.tmpdir() });
    await store.close();
  });
  return postgres;
}

export interface TestDatabase {
  /** What openStore needs to reach this database (also from another process). */
  options: { url?: string; dataDir: string };
  dialect: Dialect;
}

/** A fresh, unmigrated database location; closed stores and temp dirs are removed after the file's tests. */
export async function createTestDatabase(
  dialect: Dialect,
  { isMigrated = true } = {},
): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "hangar-store-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (dialect === "sqlite") return { dialect, options: { dataDir } };
  const server = await usePostgres();
  const url = isMigrated ? await server.cloneTemplate() : await server.createEmptyDatabase();
  return { dialect, options: { url, dataDir } };
}

/** A migrated store, closed after the file's tests. */
export async function openTestStore(dialect: Dialect): Promise<Store> {
  const database = await createTestDatabase(dialect);
  const store = await openStore(database.options);
  cleanups.push(() => store.close());
  return store;
}

/** A store with one repository, for tests that insert runs. */
export async function openStoreWithRepository(
  dialect: Dialect,
): Promise<{ store: Store; repositoryId: number }> {
  const store = await openTestStore(dialect);
  const repository = await insertRepository(store, {
    name: "octo/app",
    gitUrl: "https://example.test/octo/app.git",
  });
  return { store, repositoryId: repository.id };
}

/** A push run of `ci.yml` with the given job rows (none: jobs are queued one by one later). */
export function testRunInput(repositoryId: number, jobs: NewJobInput[] = []): NewRunInput {
  return {
    repositoryId,
    workflowFile: "ci.yml",
    workflowName: "CI",
    event: "push",
    sha: "a".repeat(40),
    ref: "refs/heads/main",
    actor: "octocat",
    payload: {},
    jobs,
  };
}

export function insertTestRun(store: Store, repositoryId: number, jobs: NewJobInput[] = []) {
  return insertRun(store, testRunInput(repositoryId, jobs));
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `store-process.ts` children that each open their own connection, waits until all are ready, then releases
 * them at once (a line on stdin) so their work really overlaps.
 */
export async function runStoreProcesses(
  count: number,
  task: Record<string, unknown>,
): Promise<ChildResult[]> {
  const children = Array.from({ length: count }, () =>
    spawn(
      process.execPath,
      [
        "--import",
        path.join(root, "scripts/register.mjs"),
        path.join(root, "test/store/store-process.ts"),
        JSON.stringify(task),
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    ),
  );
  const results = children.map(
    (child) =>
      new Promise<ChildResult>((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      }),
  );
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve) => {
        let seen = "";
        const onData = (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes("ready\n")) {
            child.stderr.off("data", onData);
            resolve();
          }
        };
        child.stderr.on("data", onData);
        child.on("close", () => resolve());
      }),
  );
  await Promise.all(ready);
  for (const child of children) child.stdin.end("go\n");
  return Promise.all(results);
}
