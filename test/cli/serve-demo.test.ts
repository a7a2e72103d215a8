// The README's first command, `npm run demo:serve`, end to end: the demo script starts the real `hangar serve`,
// registers a repository with `hangar repo add`, sends a signed push and reads the finished run back.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hangarCommand } from "../support/hangar-cli.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("the serve demo runs a pushed workflow through the server and exits 0", async () => {
  hangarCommand(); // the demo runs bin/hangar.js, as a user would after `npm ci`
  const child = spawn(process.execPath, [path.join(root, "examples/serve/demo.mjs")], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

  assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.match(stdout, /registered it as demo-org\/hello-serve/);
  assert.match(stdout, /answered 202 at once, then taken from the intake queue as run 1\n/);
  assert.match(stdout, /run 1 completed: success/);
  // Each job's log comes from the server's store: the matrix jobs read the build job's output.
  assert.match(
    stdout,
    /--- job test \(alice\): success\nalice reads 'hello from hangar serve' at [0-9a-f]{40}/,
  );
  assert.match(stdout, /--- job test \(bob\): success\nbob reads 'hello from hangar serve'/);
  assert.match(stdout, /stopped the server/);
});
