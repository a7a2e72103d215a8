// Tests for the microvm executor: run steps in real QEMU microVMs (TCG here), one VM per job, from a warm pool.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, release, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import type { ExecResult, RunnerError } from "../../src/runner/index.js";
import { MicroVmExecutor, readGuestImage, type LogLine } from "../../src/runner/index.js";
import { testGuestImage } from "../support/guest-image.js";
import { runHangar } from "../support/hangar-cli.js";
import { assertStdinContract, createStepFixture, runStep, type StepFixture } from "./step-fixture.js";

let baseDir: string;
let executor: MicroVmExecutor;
let imageDir: string;
const fixtures: StepFixture[] = [];
/** One executor without a pool for the snapshot tests: its template is saved once, a cold boot under TCG. */
let poolless: MicroVmExecutor | undefined;
const poollessWarnings: string[] = [];

/** Every VM here boots under TCG: seconds each, more with both cores busy. */
const vmTestTimeout = { timeout: 240_000 };

async function newJob(network: "host" | "none" = "host"): Promise<StepFixture> {
  const fixture = await createStepFixture(() => executor, { network });
  fixtures.push(fixture);
  return fixture;
}

before(async () => {
  imageDir = (await testGuestImage()).dir;
  baseDir = await mkdtemp(join(tmpdir(), "hangar-microvm-test-"));
  executor = new MicroVmExecutor({ baseDir, imageDir, poolSize: 1, accel: "tcg" });
  await executor.whenPoolFull();
});

after(async () => {
  for (const fixture of fixtures) await fixture.dispose();
  await executor.close();
  await poolless?.close();
  await rm(baseDir, { recursive: true, force: true });
});

test(
  "a run step runs in the guest kernel: streamed output, env files and the exit code come back",
  vmTestTimeout,
  async () => {
    const job = await newJob();
    const go = join(job.dirs.workspace, "go");
    const lines: LogLine[] = [];
    // The step waits for a file the host writes once it saw the first line: output streams, and host writes show at once.
    const script = [
      'echo "first $(uname -r)"',
      `until [ -e ${go} ]; do sleep 0.05; done`,
      'echo "second $(cat go)"',
      'echo "greeting=hello from $(hostname)" >> "$GITHUB_OUTPUT"',
      'echo "FOO=bar" >> "$GITHUB_ENV"',
      'echo "/opt/tool/bin" >> "$GITHUB_PATH"',
      "echo written-by-guest > guest-file",
      "exit 3",
    ].join("\n");
    const { result } = await runStep(job, script, {
      onLine: (line) => {
        lines.push(line);
        if (line.text.startsWith("first ")) void writeFile(go, "from-host");
      },
    });
    const texts = lines.filter((line) => line.stream === "stdout").map((line) => line.text);
    assert.equal(result.exitCode, 3);
    assert.equal(result.outcome, "failure");
    const kernel = texts[0]?.slice("first ".length);
    assert.ok(
      kernel && kernel !== release(),
      `the guest kernel (${kernel}) differs from the host's (${release()})`,
    );
    assert.equal(texts[1], "second from-host");
    assert.deepEqual(result.outputs, { greeting: "hello from hangar-guest" });
    assert.equal(result.env["FOO"], "bar");
    assert.deepEqual(result.path, ["/opt/tool/bin"]);
    assert.equal(await readFile(join(job.dirs.workspace, "guest-file"), "utf8"), "written-by-guest\n");
  },
);

test("timeout and cancel kill the step's whole process group inside the VM", vmTestTimeout, async () => {
  const job = fixtures[0] ?? (await newJob());
  const timedOut = await runStep(job, "sleep 61 &\necho started\nwait", { timeoutMs: 1500 });
  assert.equal(timedOut.result.timedOut, true);
  assert.equal(timedOut.result.outcome, "failure");

  const controller = new AbortController();
  const cancelled = await runStep(job, "trap '' TERM\nsleep 62 &\necho started\nwait", {
    signal: controller.signal,
    onLine: (line) => {
      if (line.text === "started") controller.abort();
    },
  });
  assert.equal(cancelled.result.outcome, "cancelled");

  const survivors = await runStep(job, "ps -o args | grep -c '^sleep 6[12]' || true");
  assert.deepEqual(survivors.texts, ["0"]);
});

/** The QEMU process whose 9p share is this job's root (the executor shares exactly that dir). */
async function qemuPidOf(job: StepFixture): Promise<number> {
  const share = `path=${join(job.dirs.temp, "..")},`;
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("qemu-system") && cmdline.split("\0").some((arg) => arg.includes(share)))
      pids.push(Number(entry));
  }
  assert.equal(pids.length, 1, `one QEMU process shares ${share}`);
  return pids[0] ?? 0;
}

test("each job gets its own VM and the pool refills", vmTestTimeout, async () => {
  const first = fixtures[0] ?? (await newJob());
  // VMs restored from one snapshot share a boot_id: a different VM shows as another QEMU without the first's files.
  await runStep(first, "echo secret > /tmp/job-one-marker && echo secret > /job-one-marker");
  const second = await newJob();
  assert.notEqual(await qemuPidOf(second), await qemuPidOf(first));
  const look = await runStep(
    second,
    "for f in /tmp/job-one-marker /job-one-marker; do cat $f 2>/dev/null || echo absent; done",
  );
  assert.deepEqual(look.texts, ["absent", "absent"]);
  const control = await runStep(first, "cat /tmp/job-one-marker /job-one-marker");
  assert.deepEqual(control.texts, ["secret", "secret"]);
  await executor.whenPoolFull();
  assert.equal(executor.readyVmCount, 1);
});

async function newPoollessJob(): Promise<StepFixture> {
  const restoring = (poolless ??= new MicroVmExecutor({
    baseDir: join(baseDir, "poolless"),
    imageDir,
    poolSize: 0,
    accel: "tcg",
    onWarning: (message) => poollessWarnings.push(message),
  }));
  const fixture = await createStepFixture(() => restoring);
  fixtures.push(fixture);
  return fixture;
}

test(
  "VMs restored from one snapshot draw different random bytes and keep the host's time",
  vmTestTimeout,
  async () => {
    // Without a pool each job's VM is restored when asked for and probed at once, before the guest kernel would
    // reseed on its own, and the template's save time is known to lie seconds back.
    const probe = "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' '\ndate +%s";
    const runProbe = async (): Promise<{ random: string; guestSeconds: number; hostSeconds: number }> => {
      const { texts } = await runStep(await newPoollessJob(), probe);
      return { random: texts[0] ?? "", guestSeconds: Number(texts[1]), hostSeconds: Date.now() / 1000 };
    };
    const one = await runProbe();
    assert.ok(poolless?.snapshot, "the job's VM was restored from a template snapshot");
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const two = await runProbe();
    assert.match(one.random, /^[0-9a-f]{32}$/);
    assert.notEqual(one.random, two.random);
    // A clone's clock would lag by the time since the template was saved: 8 s at least for the second.
    for (const { guestSeconds, hostSeconds } of [one, two]) {
      assert.ok(
        Math.abs(guestSeconds - hostSeconds) < 4,
        `the guest's clock (${guestSeconds}) is within 4 s of the host's (${hostSeconds})`,
      );
    }
  },
);

test("when a restore fails the executor warns once and boots VMs instead", vmTestTimeout, async () => {
  const runOn = async (script: string): Promise<string[]> =>
    (await runStep(await newPoollessJob(), script)).texts;
  if (!poolless?.snapshot) assert.deepEqual(await runOn("echo restored"), ["restored"]);
  const snapshot = poolless?.snapshot;
  assert.ok(snapshot, "the VMs came from a snapshot");
  assert.deepEqual(poollessWarnings, []);
  await rm(snapshot.file);
  assert.deepEqual(await runOn("echo booted"), ["booted"]);
  assert.deepEqual(await runOn("echo booted again"), ["booted again"]);
  assert.equal(poolless?.snapshot, undefined);
  assert.equal(poollessWarnings.length, 1, poollessWarnings.join("\n"));
  assert.match(poollessWarnings[0] ?? "", /restoring a microVM from .* failed, booting every VM instead/);
});

test("network none reaches nothing on the host; network host does (control)", vmTestTimeout, async () => {
  const server: Server = createServer((_, response) => response.end("hello"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  // QEMU user networking maps the host's 127.0.0.1 to 10.0.2.2 in the guest.
  const probe = ["10.0.2.2", "127.0.0.1"]
    .map(
      (host) =>
        `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>/dev/null && echo "${host} open" || echo "${host} closed"`,
    )
    .join("\n");
  try {
    const isolated = await newJob("none");
    assert.deepEqual((await runStep(isolated, probe)).texts, ["10.0.2.2 closed", "127.0.0.1 closed"]);
    const connected = await newJob("host");
    assert.deepEqual((await runStep(connected, probe)).texts, ["10.0.2.2 open", "127.0.0.1 closed"]);
  } finally {
    server.close();
  }
});

test(
  "a job sees none of the host's files, another job's workspace or host processes",
  vmTestTimeout,
  async () => {
    const other = await newJob();
    const probeName = `.hangar-vm-escape-probe-${randomUUID()}`;
    const probes = [
      join(homedir(), probeName),
      join(baseDir, probeName),
      join(other.dirs.workspace, probeName),
      join(tmpdir(), probeName),
    ];
    for (const path of probes) await writeFile(path, "host secret");
    try {
      const job = await newJob();
      const script = [
        ...probes.map((path) => `cat ${path} 2>/dev/null || echo "no ${path}"`),
        "test -e /work/main/package.json && echo 'sees /work' || echo 'no /work'",
        `grep -q node /proc/${process.pid}/cmdline 2>/dev/null && echo 'sees host process' || echo 'no host process'`,
        "cat /proc/1/comm",
      ].join("\n");
      const { texts } = await runStep(job, script);
      assert.deepEqual(texts, [
        ...probes.map((path) => `no ${path}`),
        "no /work",
        "no host process",
        "hangar-agent",
      ]);
    } finally {
      for (const path of probes) await rm(path, { force: true });
    }
  },
);

test("a command that cannot start is RUNNER_SPAWN_FAILED", vmTestTimeout, async () => {
  const job = fixtures[0] ?? (await newJob());
  const exec = (command: string) =>
    executor.exec(
      { job: job.dirs, command, args: [], cwd: job.dirs.workspace, env: { PATH: "/usr/bin:/bin" } },
      () => undefined,
    );
  await assert.rejects(exec("/no/such/command"), (error: RunnerError) => {
    assert.equal(error.code, "RUNNER_SPAWN_FAILED");
    assert.match(error.message, /No such file or directory/);
    return true;
  });
});

test(
  "a JavaScript action runs in a guest without nodejs on the runner's own node, shared read-only",
  vmTestTimeout,
  async () => {
    const job = await newJob();
    const main = join(job.dirs.actions, "main.js");
    await writeFile(
      main,
      [
        'const fs = require("node:fs");',
        "let writable = true;",
        'try { fs.writeFileSync(process.execPath + ".planted", ""); } catch { writable = false; }',
        "console.log(`node ${process.version} at ${process.execPath}, writable: ${writable}, ${process.env.INPUT_WHO}`);",
      ].join("\n"),
    );
    let output = "";
    const result = await executor.exec(
      {
        job: job.dirs,
        command: process.execPath,
        args: [main],
        cwd: job.dirs.workspace,
        env: { PATH: "/usr/bin:/bin", INPUT_WHO: "guest" },
      },
      (chunk) => (output += chunk.toString()),
    );
    assert.equal(result.exitCode, 0, output);
    assert.equal(output, `node ${process.version} at /__e/node20/bin/node, writable: false, guest\n`);
  },
);

test("hangar vm build writes a kernel, an initramfs and a manifest", vmTestTimeout, async () => {
  const outDir = await mkdtemp(join(tmpdir(), "hangar-vm-build-test-"));
  try {
    // Reuses the test image's downloaded packages so that only extraction and packing run again.
    await mkdir(join(imageDir, "debs"), { recursive: true });
    await symlink(join(imageDir, "debs"), join(outDir, "debs"));
    const { code, stdout, stderr } = await runHangar(["vm", "build", "--out", outDir, "--json"]);
    assert.equal(code, 0, stderr);
    const manifest = JSON.parse(stdout) as { kernelVersion: string; packages: { name: string }[] };
    const onDisk = JSON.parse(await readFile(join(outDir, "manifest.json"), "utf8")) as typeof manifest;
    assert.equal(onDisk.kernelVersion, manifest.kernelVersion);
    assert.match(manifest.kernelVersion, /^\d+\.\d+\.\d+-/);
    for (const name of ["bash", "busybox-static", "coreutils", "libc6"]) {
      assert.ok(
        manifest.packages.some((pkg) => pkg.name === name),
        `the guest has ${name}`,
      );
    }
    const bad = await runHangar(["vm", "build", "--out", outDir, "--package", "no-such-package-hangar"]);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /no downloadable Debian package named no-such-package-hangar/);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
});

/** Runs `sh -c script` in the job's VM; `ms` is how long exec() took. */
async function execShell(
  job: StepFixture,
  script: string,
  options: { stdin?: Readable; signal?: AbortSignal; onStdout?: (text: string) => void } = {},
): Promise<{ result: ExecResult; stdout: string; ms: number }> {
  let stdout = "";
  const began = performance.now();
  const result = await executor.exec(
    {
      job: job.dirs,
      command: "sh",
      args: ["-c", script],
      cwd: job.dirs.workspace,
      env: { PATH: "/usr/bin:/bin" },
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    (chunk, stream) => {
      if (stream !== "stdout") return;
      stdout += chunk.toString();
      options.onStdout?.(chunk.toString());
    },
  );
  return { result, stdout: stdout.trim(), ms: performance.now() - began };
}

/** A stdin that never ends, counting what the executor pulled from it. */
function endlessStdin(): { stream: Readable; pulledBytes: () => number } {
  const block = randomBytes(64 * 1024);
  let pulled = 0;
  const stream = new Readable({
    read() {
      pulled += block.length;
      this.push(block);
    },
  });
  return { stream, pulledBytes: () => pulled };
}

test("stdin keeps ExecSpec's contract inside the VM", vmTestTimeout, async () => {
  await assertStdinContract(fixtures[0] ?? (await newJob()));
});

test(
  "stdin streams into the guest chunk by acknowledged chunk, and stops when the process closes it",
  vmTestTimeout,
  async (t) => {
    const job = fixtures[0] ?? (await newJob());
    // Chunks of uneven sizes, some above the 256 KiB a STDIN frame carries, so that splitting is exercised too.
    const bytes = randomBytes(16 * 1024 * 1024);
    const sizes = [1, 300_000, 65_536, 1_000_000, 4096];
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length] ?? 1;
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    const digested = await execShell(job, "sha256sum | cut -d' ' -f1", { stdin: Readable.from(chunks) });
    assert.equal(digested.stdout, createHash("sha256").update(bytes).digest("hex"));
    const mibPerSecond = bytes.length / 1024 / 1024 / (digested.ms / 1000);
    t.diagnostic(`16 MiB of stdin into sha256sum under TCG: ${mibPerSecond.toFixed(1)} MiB/s`);

    // The shell reads 100000 bytes, then closes its stdin and lives on: the feed stops at once, the host pulling
    // no more than the chunks in flight, whatever the stream still holds.
    const endless = endlessStdin();
    const closing = await execShell(job, "head -c 100000 | wc -c; exec 0<&-; sleep 1; exit 5", {
      stdin: endless.stream,
    });
    assert.equal(closing.result.exitCode, 5);
    assert.equal(closing.stdout, "100000");
    assert.ok(endless.stream.destroyed, "the stream the process stopped taking is destroyed");
    assert.ok(endless.pulledBytes() < 4 * 1024 * 1024, `pulled ${endless.pulledBytes()} bytes`);
  },
);

test("cancelling an exec whose stdin still streams ends it as other cancels do", vmTestTimeout, async () => {
  const job = fixtures[0] ?? (await newJob());
  const endless = endlessStdin();
  const controller = new AbortController();
  // TERM is ignored, so the cancel goes on to KILL while cat keeps taking input.
  const cancelled = await execShell(job, "trap '' TERM; echo started; cat > /dev/null", {
    stdin: endless.stream,
    signal: controller.signal,
    onStdout: (text) => {
      if (text.includes("started")) setTimeout(() => controller.abort(), 500);
    },
  });
  assert.equal(cancelled.result.cancelled, true);
  assert.equal(cancelled.result.signal, "SIGKILL");
  assert.ok(endless.stream.destroyed);
  assert.ok(endless.pulledBytes() > 64 * 1024, "input was flowing when the cancel came");
  const survivors = await execShell(job, "ps -o args | grep -c '^cat' || true");
  assert.equal(survivors.stdout, "0");
});

test("a stdin that fails ends the input; without one, cat sees an empty input", vmTestTimeout, async () => {
  const job = fixtures[0] ?? (await newJob());
  const failing = new Readable({ read() {} });
  failing.push(Buffer.alloc(300_000));
  setTimeout(() => failing.destroy(new Error("the source broke")), 200);
  const counted = await execShell(job, "wc -c", { stdin: failing });
  assert.equal(counted.result.exitCode, 0);
  assert.equal(counted.stdout, "300000");

  const empty = await execShell(job, "cat; echo end");
  assert.equal(empty.stdout, "end");
  assert.ok(empty.ms < 10_000, `cat took ${empty.ms} ms`);
});

test("an image built for agent protocol 2 is refused with the command that rebuilds it", async () => {
  const oldDir = await mkdtemp(join(tmpdir(), "hangar-old-guest-"));
  try {
    const manifest = JSON.parse(await readFile(join(imageDir, "manifest.json"), "utf8")) as object;
    await writeFile(join(oldDir, "manifest.json"), JSON.stringify({ ...manifest, agentProtocolVersion: 2 }));
    await assert.rejects(readGuestImage(oldDir), (error: RunnerError) => {
      assert.equal(error.code, "RUNNER_VM_IMAGE_FAILED");
      assert.match(
        error.message,
        /speaks agent protocol 2, this hangar 3: run 'hangar vm build --out .*' again/,
      );
      return true;
    });
  } finally {
    await rm(oldDir, { recursive: true, force: true });
  }
});
