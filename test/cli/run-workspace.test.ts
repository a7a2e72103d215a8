// `hangar run` gives each job its own copy of the checkout, as GitHub gives each job a fresh one: parallel jobs never
// see each other's files and the user's tree stays as it was, unless `--bind`; `--keep-workspace` keeps the copies.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { runHangar } from "../support/hangar-cli.js";
import { makeGitRepo } from "../support/git-repo.js";

const repos: string[] = [];
after(async () => Promise.all(repos.map((r) => rm(r, { recursive: true, force: true }))));

/** A committed repository, then a change to a tracked file, an untracked file and an ignored one. */
async function userCheckout(workflow: string): Promise<string> {
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": workflow,
    "README.md": "committed\n",
    ".gitignore": "*.log\n",
  });
  repos.push(repo);
  await writeFile(path.join(repo, "README.md"), "committed\nchanged, not committed\n");
  await writeFile(path.join(repo, "untracked.txt"), "new\n");
  await writeFile(path.join(repo, "ignored.log"), "ignored\n");
  return repo;
}

const gitStatus = (repo: string) =>
  execFileSync("git", ["-C", repo, "status", "--porcelain"], { encoding: "utf8" });

// Both legs write the same names and create and remove node_modules as `npm ci` does; each then reads back its own.
const matrixWorkflow = `on: push
jobs:
  leg:
    strategy:
      matrix:
        n: [1, 2]
    runs-on: ubuntu-latest
    steps:
      - name: starts from the user's checkout, git included
        run: |
          test "$(git status --porcelain)" = "$(printf ' M README.md\\n?? untracked.txt')"
          test "$(git log -1 --format=%s)" = initial
          test "$(git diff --name-only)" = README.md
          test "$(git rev-parse --abbrev-ref HEAD)" = main
          test "$(git remote get-url origin)" = https://github.com/octo-org/octo-repo.git
          test ! -e ignored.log
      - name: writes what the other leg writes
        run: |
          test ! -e out.txt
          echo "\${{ matrix.n }}" > out.txt
          rm -rf node_modules && mkdir -p node_modules/pkg && echo "\${{ matrix.n }}" > node_modules/pkg/leg
          echo "\${{ matrix.n }}" >> README.md
          sleep 1
          test "$(cat out.txt)" = "\${{ matrix.n }}"
          test "$(cat node_modules/pkg/leg)" = "\${{ matrix.n }}"
          test "$(tail -n 1 README.md)" = "\${{ matrix.n }}"
          rm -rf node_modules
`;

test("parallel matrix legs each work in their own copy of the checkout; the user's tree is untouched", async () => {
  const repo = await userCheckout(matrixWorkflow);
  const before = gitStatus(repo);
  const result = await runHangar(["run", ".", "--json", "--max-parallel", "2"], { cwd: repo });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { jobs: { key: string; conclusion: string }[] };
  assert.deepEqual(
    run.jobs.map((job) => [job.key, job.conclusion]),
    [
      ["leg (1)", "success"],
      ["leg (2)", "success"],
    ],
  );
  assert.equal(gitStatus(repo), before);
  assert.equal(await readFile(path.join(repo, "README.md"), "utf8"), "committed\nchanged, not committed\n");
  assert.ok(!existsSync(path.join(repo, "out.txt")));
});

test("--keep-workspace keeps each job's copy and says where; --bind works in the checkout itself", async () => {
  const repo = await userCheckout(`on: push
jobs:
  write:
    runs-on: ubuntu-latest
    steps:
      - run: echo written > out.txt
`);
  const kept = await runHangar(["run", ".", "--keep-workspace"], { cwd: repo });
  assert.equal(kept.code, 0, kept.stderr);
  const root = /kept the job's directories in (\S+)/.exec(kept.stderr)?.[1];
  assert.ok(root, kept.stderr);
  try {
    assert.equal(await readFile(path.join(root, "workspace", "out.txt"), "utf8"), "written\n");
    assert.equal(await readFile(path.join(root, "workspace", "untracked.txt"), "utf8"), "new\n");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  assert.ok(!existsSync(path.join(repo, "out.txt")));

  const bound = await runHangar(["run", ".", "--bind"], { cwd: repo });
  assert.equal(bound.code, 0, bound.stderr);
  assert.equal(await readFile(path.join(repo, "out.txt"), "utf8"), "written\n");
});
