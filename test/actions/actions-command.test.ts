// Tests for `hangar actions add` and `hangar actions ls` as a user runs them: a real process, a real git repository, a temp data dir.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { testdataActions } from "./action-fixture.js";

function runActionsCommand(args: string[], env: Record<string, string> = {}) {
  return runHangar(["actions", ...args], { env });
}

let temp: string;
let repo: string;
let sha: string;
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), "hangar-actions-command-test-"));
  repo = await makeGitRepo({}, path.join(testdataActions, "plain-esm"));
  execFileSync("git", ["-C", repo, "tag", "v1"]);
  sha = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
});
after(async () => {
  await Promise.all([temp, repo].map((dir) => rm(dir, { recursive: true, force: true })));
});

test("add prints what was stored; ls lists the ref and its SHA alias as a table and as JSON", async () => {
  const dataDir = path.join(temp, "data");
  const added = await runActionsCommand([
    "add",
    "octo-org/greet@v1",
    "--from",
    `file://${repo}`,
    "--data-dir",
    dataDir,
  ]);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(
    added.stdout,
    `added octo-org/greet@v1 at commit ${sha} from file://${repo}, also as octo-org/greet@${sha}\n`,
  );

  const table = await runActionsCommand(["ls", "--data-dir", dataDir]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^ACTION\s+SHA\s+SOURCE\s+ADDED$/);
  assert.deepEqual(
    lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3)),
    [
      [`octo-org/greet@${sha}`, sha, `file://${repo}`],
      ["octo-org/greet@v1", sha, `file://${repo}`],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  );

  const json = await runActionsCommand(["ls", "--json"], { HANGAR_DATA_DIR: dataDir });
  assert.equal(json.code, 0, json.stderr);
  const document = JSON.parse(json.stdout) as { dataDir: string; actions: Array<Record<string, unknown>> };
  assert.equal(document.dataDir, dataDir);
  assert.deepEqual(
    document.actions.map((a) => [a.ref, a.sha, a.isCommit]),
    [
      [sha, sha, true],
      ["v1", sha, true],
    ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
  );
});

test("a store error prints its code and message on stderr and exits 2", async () => {
  const dataDir = path.join(temp, "errors");
  const result = await runActionsCommand([
    "add",
    "octo-org/greet@v9",
    "--from",
    `file://${repo}`,
    "--data-dir",
    dataDir,
  ]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    `hangar actions: error ACTION_REF_NOT_FOUND: 'v9' is neither a tag, a branch nor a full commit SHA in file://${repo}.\n`,
  );
});

test("ls on an empty store prints nothing on stdout and a hint on stderr", async () => {
  const result = await runActionsCommand(["ls", "--data-dir", path.join(temp, "empty")]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^no actions in .*empty\/actions; add one with 'hangar actions add'\n$/);
});
