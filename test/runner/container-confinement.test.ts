// What confines a job container, with real crun: the seccomp profile (on by default, off with Docker's
// `--security-opt seccomp=unconfined`), memory and pids limits; and a run step in an image without bash.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ContainerExecutor, type ResourceLimits } from "../../src/runner/index.js";
import { busyboxImage } from "./container-rootfs.js";
import { assertStdinContract, createStepFixture, runStep } from "./step-fixture.js";

if (process.getuid?.() !== 0) throw new Error("container tests need root (crun, overlayfs, ip netns)");

const baseDir = mkdtempSync(join(tmpdir(), "hangar-container-seccomp-"));

after(async () => {
  await rm(baseDir, { recursive: true, force: true });
});

/** Runs one shell script in a fresh job container with these `options:` and limits; its exit code and output. */
async function runInContainer(
  options: string,
  script: string,
  limits?: ResourceLimits,
): Promise<{ exitCode: number | null; output: string }> {
  const executor = new ContainerExecutor({
    baseDir,
    container: { image: await busyboxImage(), options },
    limits,
  });
  const job = await executor.prepare({ runId: "r1", jobKey: "confined" });
  try {
    let output = "";
    const result = await executor.exec(
      { job, command: "sh", args: ["-c", script], cwd: "/", env: {} },
      (chunk) => (output += chunk.toString()),
    );
    return { exitCode: result.exitCode, output };
  } finally {
    await executor.cleanup(job);
  }
}

// Creating a user namespace needs no capability, so only the profile stands in its way.
const probe = [
  "grep '^Seccomp:' /proc/self/status",
  "unshare -U true 2>&1 && echo user-namespace-created || echo user-namespace-refused",
].join("; ");

test("the default profile filters syscalls and refuses new namespaces", async () => {
  const { output } = await runInContainer("", probe);
  assert.match(output, /^Seccomp:\s+2$/m);
  assert.match(output, /Operation not permitted/);
  assert.match(output, /user-namespace-refused/);
});

test("--security-opt seccomp=unconfined runs the container without a filter", async () => {
  const { output } = await runInContainer("--security-opt seccomp=unconfined", probe);
  assert.match(output, /^Seccomp:\s+0$/m);
  assert.match(output, /user-namespace-created/);
});

test("--memory stops a step that allocates past it; without the limit the same step completes", async () => {
  // busybox tail keeps a line it has not finished in memory: 96 MiB without a newline.
  const allocate = "head -c 100663296 /dev/zero | tail -n 1 | wc -c";
  const limited = await runInContainer("--memory 32m", allocate);
  assert.match(limited.output, /Killed|^0$/m, limited.output);
  assert.notEqual(limited.output.trim(), "100663296");
  const unlimited = await runInContainer("", allocate);
  assert.equal(unlimited.output.trim(), "100663296", unlimited.output);
});

test("a pids limit stops a step from forking past it", async () => {
  const forks =
    "for i in $(seq 40); do sleep 5 & done 2>&1; jobs -p | wc -l; kill $(jobs -p) 2>/dev/null; true";
  const limited = await runInContainer("", forks, { pids: 20 });
  assert.match(limited.output, /can't fork|Resource temporarily unavailable/, limited.output);
  const unlimited = await runInContainer("", forks, { pids: 200 });
  assert.doesNotMatch(unlimited.output, /can't fork|Resource temporarily unavailable/, unlimited.output);
});

test("a run step in an image without bash runs with sh", async () => {
  const image = await busyboxImage();
  const fixture = await createStepFixture(
    (dir) => new ContainerExecutor({ baseDir: dir, container: { image } }),
  );
  try {
    const run = await runStep(
      fixture,
      "echo shell=$(readlink /proc/$$/exe); command -v bash || echo no-bash",
    );
    assert.equal(run.result.outcome, "success", run.allText);
    // The image's /bin/sh is its busybox.
    assert.deepEqual(run.texts, ["shell=/bin/busybox", "no-bash"]);
  } finally {
    await fixture.dispose();
  }
});

test("stdin streams into a process in the job container; unread input does not hold the exec", async () => {
  const image = await busyboxImage();
  const fixture = await createStepFixture(
    (dir) => new ContainerExecutor({ baseDir: dir, container: { image } }),
  );
  try {
    await assertStdinContract(fixture, "/bin");
  } finally {
    await fixture.dispose();
  }
});
