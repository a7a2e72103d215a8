// `hangar run` gives each job its own copy of the checkout, as GitHub gives each job a fresh one: parallel jobs never
// see each other's files and the user's tree stays as it was, unless `--bind`; `--keep-workspace` keeps the copies.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
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

test("parallel host jobs each get a HOME of their own, kept between runs, that still leads to the user's tools", async () => {
  const userHome = await mkdtemp(path.join(os.tmpdir(), "hangar-user-home-"));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-homes-data-"));
  const barrier = await mkdtemp(path.join(os.tmpdir(), "hangar-homes-barrier-"));
  repos.push(userHome, dataDir, barrier);
  await mkdir(path.join(userHome, ".volta"));
  await writeFile(path.join(userHome, ".gitconfig"), "[user]\n\tname = someone\n");
  // `npm test` exports npm_config_userconfig, so the config file followed here is git's.
  // Both legs hold their home at once: each waits until the other has written its own.
  const repo = await userCheckout(`on: push
jobs:
  leg:
    strategy:
      matrix:
        n: [1, 2]
    runs-on: ubuntu-latest
    steps:
      - run: |
          case "$HOME" in ${dataDir}/homes/*) ;; *) echo "HOME is $HOME"; exit 1;; esac
          test "$VOLTA_HOME" = ${userHome}/.volta
          test "$GIT_CONFIG_GLOBAL" = ${userHome}/.gitconfig
          test "$(git config --global user.name)" = someone
          test -z "$SDKMAN_DIR"
          test ! -e ~/mine
          echo "\${{ matrix.n }}" > ~/mine
          touch ${barrier}/"\${{ matrix.n }}"
          for i in $(seq 100); do [ -e ${barrier}/1 ] && [ -e ${barrier}/2 ] && break; sleep 0.1; done
          test "$(cat ~/mine)" = "\${{ matrix.n }}"
          rm ~/mine
          echo kept > ~/from-"\${{ matrix.n }}"
`);
  const env = { HOME: userHome, HANGAR_DATA_DIR: dataDir };
  const parallel = await runHangar(["run", ".", "--max-parallel", "2"], { cwd: repo, env });
  assert.equal(parallel.code, 0, parallel.stderr);
  const homes = (await readdir(path.join(dataDir, "homes"))).filter((name) => !name.endsWith(".lock"));
  assert.deepEqual(homes.sort(), ["0", "1"]);

  await writeFile(
    path.join(repo, ".github/workflows/ci.yml"),
    `on: push
jobs:
  again:
    runs-on: ubuntu-latest
    steps:
      - run: ls ~/from-*
      - run: test "$HOME" = ${userHome}
        if: \${{ env.USER_HOME == 'yes' }}
`,
  );
  const next = await runHangar(["run", "."], { cwd: repo, env });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /from-[12]/);
  const own = await runHangar(["run", ".", "--user-home"], { cwd: repo, env: { ...env, USER_HOME: "yes" } });
  assert.equal(own.code, 1, own.stderr);
  assert.match(own.stderr, /ls: cannot access/);
});

test("a host job's RUNNER_TOOL_CACHE is its own: removing it spares the shared installs, and what it installs is kept", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-tool-view-data-"));
  repos.push(dataDir);
  // An install as @actions/tool-cache lays it out; its marker says it is complete.
  const shared = path.join(dataDir, "tools", "fake", "1.0.0", "x64");
  await mkdir(path.join(shared, "bin"), { recursive: true });
  await writeFile(path.join(shared, "bin", "fake"), "#!/bin/sh\necho fake 1.0.0\n", { mode: 0o755 });
  await writeFile(`${shared}.complete`, "");
  // actions/setup-node's proxy tests clear the cache first; a real setup action then installs into it.
  const repo = await userCheckout(`on: push
jobs:
  clear:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "$($RUNNER_TOOL_CACHE/fake/1.0.0/x64/bin/fake)" = "fake 1.0.0"
          test -f $RUNNER_TOOL_CACHE/fake/1.0.0/x64.complete
          rm -rf $RUNNER_TOOL_CACHE/*
          test -z "$(ls $RUNNER_TOOL_CACHE)"
          mkdir -p $RUNNER_TOOL_CACHE/made/2.0.0/x64
          echo made > $RUNNER_TOOL_CACHE/made/2.0.0/x64/file
          touch $RUNNER_TOOL_CACHE/made/2.0.0/x64.complete
  after:
    needs: clear
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "$($RUNNER_TOOL_CACHE/fake/1.0.0/x64/bin/fake)" = "fake 1.0.0"
          test "$(cat $RUNNER_TOOL_CACHE/made/2.0.0/x64/file)" = made
`);
  const result = await runHangar(["run", "."], { cwd: repo, env: { HANGAR_DATA_DIR: dataDir } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await readFile(path.join(shared, "bin", "fake"), "utf8"), "#!/bin/sh\necho fake 1.0.0\n");
  const listed = await runHangar(["tools", "ls", "--json"], { env: { HANGAR_DATA_DIR: dataDir } });
  assert.match(listed.stdout, /"tool": "made"/);
});
