// Tests for the runner: HostExecutor with real processes: directories, streaming, spawn failure, group kill on timeout and abort.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { HostExecutor, RunnerError, type JobDirectories } from "../../src/runner/index.js";
import {
  assertStdinContract,
  createStepFixture,
  isPrintedChildAlive,
  printBackgroundChild,
} from "./step-fixture.js";

/** The executor, its base dir and a job prepared on it, which exec specs name. */
async function withExecutor(
  body: (executor: HostExecutor, baseDir: string, job: JobDirectories) => Promise<void>,
): Promise<void> {
  const baseDir = await mkdtemp(join(tmpdir(), "hangar-executor-test-"));
  try {
    const executor = new HostExecutor({ baseDir });
    await body(executor, baseDir, await executor.prepare({ runId: "r", jobKey: "exec" }));
  } finally {
    await rm(baseDir, { recursive: true, force: true });
  }
}

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

test("prepare creates per-job dirs; cleanup removes them but never a given workspace", async () => {
  await withExecutor(async (executor, baseDir) => {
    const fresh = await executor.prepare({ runId: "r/1", jobKey: "build (a, b)" });
    for (const dir of Object.values(fresh)) assert.ok((await stat(dir)).isDirectory(), dir);
    assert.ok(fresh.temp.startsWith(baseDir));
    await executor.cleanup(fresh);
    assert.equal(existsSync(fresh.workspace), false);
    assert.equal(existsSync(fresh.temp), false);

    const workspace = await mkdtemp(join(baseDir, "checkout-"));
    await writeFile(join(workspace, "README"), "the user's file\n");
    const copied = await executor.prepare({ runId: "r", jobKey: "j", workspace });
    assert.notEqual(copied.workspace, workspace);
    assert.equal(await readFile(join(copied.workspace, "README"), "utf8"), "the user's file\n");
    await executor.cleanup(copied);
    assert.equal(existsSync(copied.workspace), false);

    const bound = await executor.prepare({ runId: "r", jobKey: "j", workspace, bindWorkspace: true });
    assert.equal(bound.workspace, workspace);
    await executor.cleanup(bound);
    assert.equal(existsSync(workspace), true);
    assert.equal(existsSync(bound.fileCommands), false);
  });
});

test("keepWorkspace keeps a job's directories and says where", async () => {
  const baseDir = await mkdtemp(join(tmpdir(), "hangar-executor-test-"));
  try {
    const kept: string[] = [];
    const executor = new HostExecutor({ baseDir, keepWorkspace: true, onKept: (root) => kept.push(root) });
    const dirs = await executor.prepare({ runId: "r", jobKey: "kept" });
    await executor.cleanup(dirs);
    assert.deepEqual(kept, [dirname(dirs.workspace)]);
    assert.ok((await stat(dirs.workspace)).isDirectory());
  } finally {
    await rm(baseDir, { recursive: true, force: true });
  }
});

test("exec streams output, passes cwd and exactly the given env, reports the exit code", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    const chunks: string[] = [];
    const result = await executor.exec(
      {
        job,
        command: "sh",
        args: ["-c", 'echo "$PWD:$GREETING:${HOME:-unset}"; echo err >&2; exit 3'],
        cwd: baseDir,
        env: { ...env, GREETING: "hi" },
      },
      (chunk, stream) => chunks.push(`${stream}:${chunk.toString()}`),
    );
    assert.deepEqual(result, { exitCode: 3, signal: null, timedOut: false, cancelled: false });
    assert.ok(chunks.includes(`stdout:${baseDir}:hi:unset\n`), chunks.join("|"));
    assert.ok(chunks.includes("stderr:err\n"));
  });
});

test("a command that cannot start rejects with RUNNER_SPAWN_FAILED", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    await assert.rejects(
      executor.exec({ job, command: "/nonexistent/hangar-shell", args: [], cwd: baseDir, env }, () => {}),
      (error: unknown) =>
        error instanceof RunnerError &&
        error.code === "RUNNER_SPAWN_FAILED" &&
        /hangar-shell/.test(error.message),
    );
  });
});

test("timeout kills the whole process group, including a background child holding the pipes", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    let output = "";
    const result = await executor.exec(
      {
        job,
        command: "bash",
        args: ["-c", `sleep 1000 & ${printBackgroundChild}; wait`],
        cwd: baseDir,
        env,
        timeoutMs: 1500,
      },
      (chunk) => (output += chunk.toString()),
    );
    assert.equal(result.timedOut, true);
    assert.equal(result.cancelled, false);
    assert.equal(result.exitCode, null);
    assert.equal(isPrintedChildAlive(output), false, `background sleep survived: ${output}`);
  });
});

test("a group that ignores SIGTERM is killed with SIGKILL after the grace period", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    const controller = new AbortController();
    let output = "";
    const result = await executor.exec(
      {
        job,
        command: "bash",
        args: ["-c", `trap '' TERM; sleep 1000 & ${printBackgroundChild}; wait`],
        cwd: baseDir,
        env,
        signal: controller.signal,
      },
      (chunk) => {
        output += chunk.toString();
        if (output.includes("\n")) controller.abort();
      },
    );
    assert.equal(result.cancelled, true);
    assert.equal(result.signal, "SIGKILL");
    assert.equal(isPrintedChildAlive(output), false, output);
  });
});

test("an already aborted signal starts nothing", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    const marker = join(baseDir, "ran");
    const result = await executor.exec(
      { job, command: "sh", args: ["-c", `touch ${marker}`], cwd: baseDir, env, signal: AbortSignal.abort() },
      () => {},
    );
    assert.equal(result.cancelled, true);
    assert.equal(existsSync(marker), false);
  });
});

test("a process that escaped the group cannot keep a timed-out exec waiting on its pipes", async () => {
  await withExecutor(async (executor, baseDir, job) => {
    let output = "";
    const result = await executor.exec(
      {
        job,
        command: "bash",
        args: ["-c", "setsid sh -c 'echo escaped=$$; exec sleep 1000' & wait"],
        cwd: baseDir,
        env,
        timeoutMs: 1000,
      },
      (chunk) => (output += chunk.toString()),
    );
    const pid = Number(/escaped=(\d+)/.exec(output)?.[1]);
    assert.ok(pid > 0, output);
    // It left the process group, so the executor could not kill it; the test must.
    process.kill(pid, "SIGKILL");
    assert.equal(result.timedOut, true);
  });
});

test("stdin streams into the process with backpressure; unread input does not hold the exec", async () => {
  const job = await createStepFixture();
  try {
    await assertStdinContract(job);
  } finally {
    await job.dispose();
  }
});
