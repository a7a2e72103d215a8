// The workflow fixture corpus (testdata/workflows): each `<name>.yml` with its expectation file `<name>.json`, as
// `hangar run` (workflow-fixtures.test.ts) and `hangar serve` (workflow-fixtures-on-server.test.ts) both check them.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface JobExpectation {
  conclusion: string;
  outputs?: Record<string, string>;
  continuedOnError?: boolean;
  steps?: Record<string, { outcome: string; conclusion: string }>;
}

export interface Expectation {
  description: string;
  args?: string[];
  files?: Record<string, string>;
  /** Repositories added to a fresh action store with `hangar actions add USES --from` (each a git repo of these files). */
  actions?: Record<string, Record<string, string>>;
  exitCode: number;
  jobs?: Record<string, JobExpectation>;
  stderrContains?: string[];
  stderrNotContains?: string[];
  stdoutContains?: string[];
  /** A reason; the case is listed but not run. */
  skip?: string;
}

export const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../testdata/workflows",
);

/** Every fixture by name (the file name without `.yml`), sorted, with its workflow and expectation. */
export async function readFixtures(): Promise<Map<string, { workflow: string; expectation: Expectation }>> {
  const names = (await readdir(fixturesDir))
    .filter((n) => n.endsWith(".yml"))
    .map((n) => n.replace(/\.yml$/, ""))
    .sort();
  const fixtures = new Map<string, { workflow: string; expectation: Expectation }>();
  for (const name of names) {
    fixtures.set(name, {
      workflow: await readFile(path.join(fixturesDir, `${name}.yml`), "utf8"),
      expectation: JSON.parse(await readFile(path.join(fixturesDir, `${name}.json`), "utf8")) as Expectation,
    });
  }
  return fixtures;
}
