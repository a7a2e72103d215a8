// Escape tests for the sandbox executor (issue 6): from inside a sandboxed job, each attempt is asserted to fail, next to a control that shows it could have succeeded.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { test } from "node:test";
import { withSandbox } from "./sandbox-fixture.js";
import type { StepFixture } from "./step-fixture.js";
import { runStep } from "./step-fixture.js";

/** The limits the issue names for the containment tests. */
const limits = { memoryBytes: 256 * 1024 ** 2, pids: 100 };
const path = "/usr/bin:/bin";

/** Starts a step that prints "ready" once set up and then waits until aborted. */
async function runUntilAborted(
  job: StepFixture,
  setup: string,
): Promise<{ ready: Promise<void>; stop(): Promise<void> }> {
  const controller = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const run = runStep(job, `${setup}\necho ready\nexec sleep 1000`, {
    signal: controller.signal,
    env: { PATH: path },
    onLine: (line) => {
      if (line.text === "ready") markReady();
    },
  });
  return {
    ready,
    async stop() {
      controller.abort();
      await run;
    },
  };
}

test("a job cannot read another concurrently running job's workspace, temp, home or /tmp", async () => {
  await withSandbox({ limits }, async (sandbox) => {
    const victim = await sandbox.prepareJob();
    const attacker = await sandbox.prepareJob();
    const canary = `canary-${randomUUID()}`;
    const victimRoot = sandbox.executor.describeJob(victim.dirs)?.root ?? "";
    const attackerRoot = sandbox.executor.describeJob(attacker.dirs)?.root ?? "";
    const targets = ["workspace", "temp", "home", "tmp", "actions", "tool-cache", "file-commands"].map(
      (dir) => join(victimRoot, dir, "canary"),
    );
    const running = await runUntilAborted(
      victim,
      `for f in ${targets.join(" ")}; do echo ${canary} > "$f"; done; echo ${canary} > /tmp/canary`,
    );
    try {
      await running.ready;
      // Control: the victim really wrote its canaries.
      assert.equal((await readFile(targets[0], "utf8")).trim(), canary);
      const run = await runStep(
        attacker,
        [
          `for f in ${targets.join(" ")} /tmp/canary; do cat "$f" 2>/dev/null && echo "LEAK $f"; done`,
          `ls -A ${victimRoot} 2>/dev/null | sed 's/^/LEAK listing: /'`,
          `ls -A ${dirname(victimRoot)} | grep -vx ${basename(attackerRoot)} | sed 's/^/LEAK sibling: /'`,
          "cat /proc/*/root/tmp/canary 2>/dev/null || true",
          "find / \\( -path /proc -o -path /sys -o -path /usr -o -path /etc \\) -prune -o -name canary -print 2>/dev/null || true",
          "echo done",
        ].join("\n"),
        { env: { PATH: path } },
      );
      assert.equal(run.result.outcome, "success", run.allText);
      assert.ok(!run.allText.includes(canary), run.texts.join("\n"));
      assert.deepEqual(run.texts, ["done"]);
    } finally {
      await running.stop();
    }
  });
});

test("a job cannot read the runner's token, its data dir, /root or /work", async () => {
  const parent = await mkdtemp(join(tmpdir(), "hangar-escape-parent-"));
  const outsideData = await mkdtemp(join(tmpdir(), "hangar-escape-data-"));
  const token = `hangar-token-${randomUUID()}`;
  try {
    // Worst case: the data dirs and token files are world-readable, so only the sandbox's view can stop the job.
    const dataDirs = [join(parent, "data"), outsideData];
    await chmod(parent, 0o755);
    for (const dir of dataDirs) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o755);
      await writeFile(join(dir, "runner.json"), JSON.stringify({ token }), { mode: 0o644 });
    }
    await withSandbox({ limits, baseDir: join(parent, "jobs") }, async (sandbox) => {
      const job = await sandbox.prepareJob();
      const run = await runStep(
        job,
        [
          `for f in ${dataDirs.map((dir) => join(dir, "runner.json")).join(" ")}; do cat "$f" 2>/dev/null && echo "LEAK $f"; done`,
          `for d in ${dataDirs.join(" ")} /root /work /home /var /run; do ls -A "$d" 2>/dev/null | sed "s|^|LEAK $d: |"; done`,
          `ls -A ${parent} | grep -vx jobs | sed 's/^/LEAK parent: /'`,
          "find / \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -name runner.json -print 2>/dev/null || true",
          "echo done",
        ].join("\n"),
        { env: { PATH: path } },
      );
      assert.equal(run.result.outcome, "success", run.allText);
      assert.ok(!run.allText.includes(token));
      assert.deepEqual(run.texts, ["done"]);
      // Control: the files are there on the host.
      assert.match(await readFile(join(dataDirs[0], "runner.json"), "utf8"), new RegExp(token));
      assert.ok(existsSync("/work") || existsSync("/root"));
    });
  } finally {
    await rm(parent, { recursive: true, force: true });
    await rm(outsideData, { recursive: true, force: true });
  }
});

test("a job sees only its own processes and cannot signal the runner", async () => {
  await withSandbox({ limits }, async (sandbox) => {
    const job = await sandbox.prepareJob();
    const run = await runStep(
      job,
      [
        "ps -e -o pid=,comm= | sort -n",
        `kill -0 ${process.pid} 2>/dev/null && echo "LEAK signalled runner"`,
        `test -e /proc/${process.pid} && echo "LEAK runner visible"`,
        "echo done",
      ].join("\n"),
      { env: { PATH: path } },
    );
    // Control: the runner's pid is real on the host.
    assert.ok(existsSync(`/proc/${process.pid}`));
    assert.equal(run.result.outcome, "success", run.allText);
    const processes = run.texts.slice(0, -1).map((line) => line.trim().split(/\s+/));
    // 1 is bwrap's init, then the step's bash and its ps and sort.
    assert.deepEqual(processes[0], ["1", "bwrap"]);
    assert.ok(processes.length <= 5, run.texts.join("\n"));
    for (const [, command] of processes)
      assert.ok(["bwrap", "bash", "ps", "sort"].includes(command), command);
    assert.equal(run.texts.at(-1), "done");
    assert.ok(!run.allText.includes("LEAK"));
  });
});

test("a job cannot write outside its workspace and temp dirs", async () => {
  const parent = await mkdtemp(join(tmpdir(), "hangar-escape-parent-"));
  const marker = `escape-${randomUUID()}`;
  try {
    await chmod(parent, 0o755);
    await withSandbox({ limits, baseDir: join(parent, "jobs") }, async (sandbox) => {
      const job = await sandbox.prepareJob();
      const root = sandbox.executor.describeJob(job.dirs)?.root ?? "";
      const system = ["/usr", "/etc", "/"].map((dir) => join(dir, marker));
      // Inside the sandbox these are directories bwrap made for the mount point of the job's root; when that
      // lies below /tmp they live in the job's own /tmp, so a write there may succeed but must not reach the host.
      const hostDirs = [sandbox.baseDir, parent, dirname(root)].map((dir) => join(dir, marker));
      const inside = [job.dirs.workspace, job.dirs.temp].map((dir) => join(dir, marker));
      const run = await runStep(
        job,
        `for f in ${[...system, ...hostDirs, ...inside].join(" ")}; do (echo x > "$f") 2>/dev/null && echo "WROTE $f"; done`,
        { env: { PATH: path } },
      );
      const written = run.texts.map((text) => text.replace(/^WROTE /, ""));
      for (const file of system) assert.ok(!written.includes(file), file);
      for (const file of inside) assert.ok(written.includes(file), file);
      for (const file of [...system, ...hostDirs]) assert.equal(existsSync(file), false, file);
      for (const file of inside) assert.equal(existsSync(file), true, file);
    });
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test("a fork bomb and a 2 GB allocation are contained by 100 pids and 256 MB; the runner and another job keep going", async () => {
  await withSandbox({ limits }, async (sandbox) => {
    const [bombJob, memoryJob, bystander] = await Promise.all([1, 2, 3].map(() => sandbox.prepareJob()));
    const pidsDir = sandbox.executor
      .describeJob(bombJob.dirs)
      ?.cgroupDirs.find((dir) => dir.includes("pids"));
    const [bomb, memory, quiet] = await Promise.all([
      runStep(bombJob, "bomb() { bomb | bomb & }; bomb\nwhile true; do sleep 1; done", {
        env: { PATH: path },
        timeoutMs: 5000,
      }),
      runStep(memoryJob, `python3 -c "x = b'x' * (2 * 1024 ** 3); print('ALLOC' + 'ATED', len(x))"`, {
        env: { PATH: path },
      }),
      runStep(bystander, "for i in $(seq 1 10); do echo tick $i; sleep 0.3; done", { env: { PATH: path } }),
    ]);
    // 1. The bomb ran into its pids limit (v1 and v2 count it in pids.events) and was stopped.
    if (pidsDir) assert.match(await readFile(join(pidsDir, "pids.events"), "utf8"), /max [1-9]/);
    assert.ok(bomb.result.outcome === "failure" || bomb.result.timedOut, bomb.allText.slice(0, 2000));
    // 2. The allocation was killed before it got its 2 GB.
    assert.equal(memory.result.outcome, "failure");
    assert.ok(!memory.allText.includes("ALLOCATED"), memory.allText);
    // 3. The job next to them and the runner itself are fine.
    assert.equal(quiet.result.outcome, "success", quiet.allText);
    assert.equal(quiet.texts.length, 10);
    assert.equal(spawnSync("true").status, 0);
  });
});

test("with network none no connection to the host's 127.0.0.1 succeeds; with host it does", async () => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    // The probes hang up without reading.
    socket.on("error", () => {});
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const tryConnect = [
    `(exec 3<>/dev/tcp/127.0.0.1/${port} && echo CONNECTED bash) 2>/dev/null || true`,
    `python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=3); print('CONNECTED python')" 2>/dev/null || true`,
    "echo done",
  ].join("\n");
  try {
    await withSandbox({ limits }, async (sandbox) => {
      const isolated = await runStep(await sandbox.prepareJob({ network: "none" }), tryConnect, {
        env: { PATH: path },
      });
      assert.deepEqual(isolated.texts, ["done"]);
      assert.equal(connections, 0);

      const shared = await runStep(await sandbox.prepareJob({ network: "host" }), tryConnect, {
        env: { PATH: path },
      });
      assert.deepEqual(shared.texts, ["CONNECTED bash", "CONNECTED python", "done"]);
      assert.equal(connections, 2);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
