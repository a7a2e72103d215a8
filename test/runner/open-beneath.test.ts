// The runner's reads and writes in job-changeable dirs never follow a link: planted links, hard links, swapped
// directories and a directory swapped back and forth during the walk, with real files in temp dirs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  createFileBeneath,
  createSymlinkBeneath,
  makeDirectoryBeneath,
  readFileBeneath,
  removeFileBeneath,
  writeFileBeneath,
} from "../../src/runner/job-files/open-beneath.js";
import { RunnerError } from "../../src/runner/index.js";

const base = await mkdtemp(join(tmpdir(), "hangar-beneath-"));
after(() => rm(base, { recursive: true, force: true }));

/** A job root holding `dir/`, and a canary outside it that no call may read or write. */
async function makeRoot(name: string): Promise<{ root: string; canary: string; outside: string }> {
  const root = join(base, name, "root");
  const outside = join(base, name, "outside");
  await mkdir(join(root, "dir"), { recursive: true });
  await mkdir(outside, { recursive: true });
  const canary = join(outside, "secret");
  await writeFile(canary, "canary-secret");
  return { root, canary, outside };
}

const read = (root: string, relative: string) =>
  readFileBeneath(root, relative, { maxBytes: 1024, describe: "$GITHUB_OUTPUT" });
const refused = { name: "RunnerError", code: "RUNNER_PATH_OUTSIDE_JOB" };

test("a regular file reads back; a missing one reads as undefined; writes create parents", async () => {
  const { root } = await makeRoot("plain");
  await createFileBeneath(root, "dir/a/b.txt", "hello");
  assert.equal((await read(root, "dir/a/b.txt"))?.toString(), "hello");
  assert.equal(await read(root, "dir/missing"), undefined);
  await writeFileBeneath(root, "dir/a/b.txt", "again");
  assert.equal((await read(root, "dir/a/b.txt"))?.toString(), "again");
  await assert.rejects(createFileBeneath(root, "dir/a/b.txt", "x"), refused, "create never reuses a file");
  await removeFileBeneath(root, "dir/a/b.txt");
  await removeFileBeneath(root, "dir/a/b.txt");
  assert.equal(existsSync(join(root, "dir/a/b.txt")), false);
});

test("a link in place of the file, of a directory on the way, or a hard link is refused", async () => {
  const { root, canary, outside } = await makeRoot("links");
  await symlink(canary, join(root, "dir", "file-link"));
  await assert.rejects(read(root, "dir/file-link"), refused);
  await symlink(outside, join(root, "dir-link"));
  await assert.rejects(read(root, "dir-link/secret"), refused);
  await assert.rejects(createFileBeneath(root, "dir-link/new", "x"), refused);
  await assert.rejects(writeFileBeneath(root, "dir/file-link", "overwritten"), refused);
  await assert.rejects(makeDirectoryBeneath(root, "dir-link/sub"), refused);
  await assert.rejects(createSymlinkBeneath(root, "dir-link/new-link", "/"), refused);
  await link(canary, join(root, "dir", "hard"));
  await assert.rejects(read(root, "dir/hard"), /regular file of the job's own/);
  assert.equal(await readFile(canary, "utf8"), "canary-secret");
  assert.equal(existsSync(join(outside, "new")), false);
  assert.equal(existsSync(join(outside, "sub")), false);
});

test("'..', '.', empty and absolute paths are refused before any file is touched", async () => {
  const { root } = await makeRoot("dots");
  for (const bad of [
    "../outside/secret",
    "dir/../../outside/secret",
    "/etc/passwd",
    "dir//x",
    "./dir/x",
    "",
  ]) {
    await assert.rejects(read(root, bad), (error: unknown) => error instanceof RunnerError, bad);
  }
});

test("a file over the limit is refused without being read into memory", async () => {
  const { root } = await makeRoot("large");
  await writeFile(join(root, "dir", "big"), Buffer.alloc(4096));
  await assert.rejects(read(root, "dir/big"), { code: "RUNNER_FILE_TOO_LARGE" });
});

test("a directory swapped for a link while the runner walks never lets a read or write through", async () => {
  const { root, outside } = await makeRoot("race");
  await writeFile(join(root, "dir", "secret"), "job-own");
  // Another process swaps root/dir with a link to `outside` as fast as it can. renameat2(RENAME_EXCHANGE) keeps one
  // of the two at `dir` at every instant, so the walk meets each about half the time whatever the machine's load.
  await symlink(outside, join(root, "swap"));
  const flipper = spawn(
    "python3",
    [
      "-c",
      [
        "import ctypes, os, sys",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "os.chdir(sys.argv[1])",
        "while libc.renameat2(-100, b'dir', -100, b'swap', 2) == 0: pass",
        "sys.exit(ctypes.get_errno())",
      ].join("\n"),
      root,
    ],
    { stdio: "ignore" },
  );
  try {
    let reads = 0;
    for (let attempt = 0; attempt < 2000; attempt++) {
      const contents = await read(root, "dir/secret").catch(() => undefined);
      if (contents !== undefined) {
        assert.equal(contents.toString(), "job-own");
        reads++;
      }
      await createFileBeneath(root, `dir/new-${attempt}`, "x").catch(() => undefined);
    }
    assert.ok(reads > 0, "some reads found the real directory");
  } finally {
    flipper.kill("SIGKILL");
  }
  assert.deepEqual(await readdir(outside), ["secret"], "nothing was created outside");
});
