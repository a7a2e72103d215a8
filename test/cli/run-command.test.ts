// The `hangar run` command as a user runs it: listing, graph, dry run, exit codes, JSON, cancellation by SIGINT.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { hangarCommand, runHangar } from "../support/hangar-cli.js";
import { makeGitRepo } from "../support/git-repo.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const repos: string[] = [];
after(async () => Promise.all(repos.map((r) => rm(r, { recursive: true, force: true }))));

async function repoWith(files: Record<string, string>): Promise<string> {
  const repo = await makeGitRepo(files);
  repos.push(repo);
  return repo;
}

const pipeline = `name: pipeline
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: touch lint-ran
  build:
    runs-on: ubuntu-latest
    steps:
      - run: touch build-ran
  test:
    needs: [lint, build]
    runs-on: ubuntu-latest
    steps:
      - run: touch test-ran
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: touch deploy-ran
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: touch docs-ran
`;

test("--list prints the jobs and their needs without running anything", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const result = await runHangar(["run", ".", "--list"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /test\tlint,build/);
  assert.match(result.stdout, /deploy\ttest/);
  assert.ok(!existsSync(path.join(repo, "lint-ran")));
});

test("--graph prints the needs stages", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const result = await runHangar(["run", ".", "--graph"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /stage 1: lint, build, docs/);
  assert.match(result.stdout, /stage 2: test/);
  assert.match(result.stdout, /stage 3: deploy/);
});

test("-j runs a job and the jobs it needs, nothing else", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const result = await runHangar(["run", ".", "-j", "test", "--json", "--bind"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { jobs: { key: string }[] };
  assert.deepEqual(
    run.jobs.map((j) => j.key),
    ["lint", "build", "test"],
  );
  for (const ran of ["lint-ran", "build-ran", "test-ran"]) assert.ok(existsSync(path.join(repo, ran)), ran);
  for (const skipped of ["deploy-ran", "docs-ran"]) assert.ok(!existsSync(path.join(repo, skipped)), skipped);
});

test("--dry-run evaluates the plan but starts no process", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const result = await runHangar(["run", ".", "--dry-run", "--json"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { conclusion: string; jobs: unknown[] };
  assert.equal(run.conclusion, "success");
  assert.equal(run.jobs.length, 5);
  for (const file of ["lint-ran", "build-ran", "test-ran", "deploy-ran", "docs-ran"]) {
    assert.ok(!existsSync(path.join(repo, file)), `${file} exists after a dry run`);
  }
});

test("usage errors exit 2 with a message", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const unknownFlag = await runHangar(["run", ".", "--no-such-flag"], { cwd: repo });
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /no-such-flag/);
  const unknownJob = await runHangar(["run", ".", "-j", "nope"], { cwd: repo });
  assert.equal(unknownJob.code, 2);
  assert.match(unknownJob.stderr, /no job 'nope'/);
  const badLabelMap = await runHangar(["run", ".", "--label-map", "gpu=vm"], { cwd: repo });
  assert.equal(badLabelMap.code, 2);
  const unknownCommand = await runHangar(["fly"], { cwd: repo });
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /unknown command 'fly'/);
});

test("an event no workflow listens to exits 0 and says so", async () => {
  const repo = await repoWith({ ".github/workflows/ci.yml": pipeline });
  const result = await runHangar(["run", ".", "--event", "release"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /no workflow is triggered by 'release'/);
});

test("--env-file and --secret-file feed the steps, and file secrets are masked", async () => {
  const repo = await repoWith({
    ".github/workflows/ci.yml": `on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - env:
          TOKEN: \${{ secrets.API_TOKEN }}
        run: |
          test "$FROM_ENV_FILE" = "env value" || exit 1
          test "$TOKEN" = "file-secret-9f2c" || exit 1
          echo "token is $TOKEN"
`,
  });
  await writeFile(path.join(repo, "extra.env"), 'FROM_ENV_FILE="env value"\n');
  await writeFile(path.join(repo, "secrets.env"), "API_TOKEN=file-secret-9f2c\n");
  const result = await runHangar(["run", ".", "--env-file", "extra.env", "--secret-file", "secrets.env"], {
    cwd: repo,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /token is \*\*\*/);
  assert.doesNotMatch(result.stderr + result.stdout, /file-secret-9f2c/);
});

test("the README's example workflow runs green and prints its table", async () => {
  const result = await runHangar(
    ["run", "examples/hello", "--secret", "EXAMPLE_TOKEN=example-secret-value"],
    { cwd: root },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Example CI: success/);
  assert.match(result.stdout, /test \(2\.0, python\)\s+success/);
  assert.doesNotMatch(result.stderr, /example-secret-value/);
});

test("SIGINT cancels the run: the running step is killed, always() steps still run, exit 1", async () => {
  const repo = await repoWith({
    ".github/workflows/ci.yml": `on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: echo started; sleep 30; touch finished
      - if: always()
        run: echo cleanup ran
      - run: echo must not run
`,
  });
  const child = spawn(process.execPath, [...hangarCommand(), "run", ".", "--json"], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  // 1. wait for the step's first line, 2. interrupt, 3. the run ends with the cleanup step's line.
  await new Promise<void>((resolve) => {
    child.stderr.on("data", (chunk: Buffer) => {
      const before = stderr;
      stderr += chunk.toString();
      if (!before.includes("| started") && stderr.includes("| started")) {
        child.kill("SIGINT");
        resolve();
      }
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 1, stderr);
  assert.match(stderr, /cleanup ran/);
  assert.doesNotMatch(stderr, /\| must not run/);
  assert.ok(!existsSync(path.join(repo, "finished")));
  const run = JSON.parse(stdout) as { conclusion: string; jobs: { conclusion: string }[] };
  assert.equal(run.conclusion, "cancelled");
  assert.equal(run.jobs[0]!.conclusion, "cancelled");
});
