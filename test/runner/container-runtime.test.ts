// Container runtime with real crun, overlayfs and network namespaces: job container exec, services, health checks, teardown.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ContainerError,
  ContainerExecutor,
  JobContainers,
  jobContainerName,
  RunnerError,
  type ExecResult,
  type ExecSpec,
  type JobDirectories,
  type RuntimeImage,
  type StartedContainer,
} from "../../src/runner/index.js";
import { containerIdMap } from "../../src/runner/containers/runtime/id-mapping.js";
import { bashImage, busyboxImage } from "./container-rootfs.js";

if (process.getuid?.() !== 0)
  throw new Error("container runtime tests need root (crun, overlayfs, ip netns)");

const baseDir = mkdtempSync(join(tmpdir(), "hangar-container-test-"));
let busybox: RuntimeImage;

before(async () => {
  busybox = await busyboxImage();
});
after(async () => {
  await rm(baseDir, { recursive: true, force: true });
});

/** The job withJob prepared on each executor, which run() names in its ExecSpec. */
const preparedJobs = new WeakMap<ContainerExecutor, JobDirectories>();

async function run(
  executor: ContainerExecutor,
  spec: Partial<ExecSpec> & { command: string },
): Promise<ExecResult & { stdout: string; stderr: string }> {
  const out: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  const job = preparedJobs.get(executor)!;
  const result = await executor.exec({ job, args: [], cwd: "/", env: {}, ...spec }, (chunk, stream) =>
    out[stream].push(chunk),
  );
  return {
    ...result,
    stdout: Buffer.concat(out.stdout).toString("utf8"),
    stderr: Buffer.concat(out.stderr).toString("utf8"),
  };
}

/** Starts a job container, runs the body, always cleans up. */
async function withJob(
  options: Partial<ConstructorParameters<typeof ContainerExecutor>[0]>,
  body: (executor: ContainerExecutor, dirs: JobDirectories) => Promise<void>,
): Promise<void> {
  const executor = new ContainerExecutor({ baseDir, container: { image: busybox }, ...options });
  const dirs = await executor.prepare({ runId: "r1", jobKey: "build" });
  preparedJobs.set(executor, dirs);
  try {
    await body(executor, dirs);
  } finally {
    await executor.cleanup(dirs);
  }
}

function jobContainerOf(executor: ContainerExecutor): StartedContainer {
  return executor.containers.find((started) => started.name === jobContainerName)!;
}

function hostProcessesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function netnsNames(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name.startsWith("hangar-"));
}

test("a step runs in the job container with its output streams, exit code, env and cwd", async () => {
  await withJob({ container: { image: busybox, env: { FROM_CONTAINER: "c" } } }, async (executor, dirs) => {
    const result = await run(executor, {
      command: "sh",
      args: ["-c", 'echo "out $IMAGE_VAR $FROM_CONTAINER $STEP_VAR $(pwd)"; echo err >&2; exit 3'],
      cwd: dirs.workspace,
      env: { STEP_VAR: "s1" },
    });
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, `out from-image c s1 ${dirs.workspace}\n`);
    assert.equal(result.stderr, "err\n");
    const second = await run(executor, {
      command: "sh",
      args: ["-c", 'echo "${STEP_VAR:-unset} $(pwd)"'],
      cwd: "/tmp",
    });
    assert.equal(second.stdout, "unset /tmp\n");
    assert.equal(second.exitCode, 0);
  });
});

test("job dirs are shared at the same paths both ways, and /github paths exist", async () => {
  await withJob({}, async (executor, dirs) => {
    const output = join(dirs.fileCommands, "set_output_1");
    await writeFile(join(dirs.temp, "from-host.sh"), "echo from-host-script\n");
    const result = await run(executor, {
      command: "sh",
      args: [
        "-c",
        `sh ${dirs.temp}/from-host.sh; echo "result=42" >> "$GITHUB_OUTPUT"; echo ws > /github/workspace/f; echo $HOME`,
      ],
      cwd: dirs.workspace,
      env: { GITHUB_OUTPUT: output },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, "from-host-script\n/github/home\n");
    assert.equal(await readFile(output, "utf8"), "result=42\n");
    assert.equal(await readFile(join(dirs.workspace, "f"), "utf8"), "ws\n");
  });
});

test("writes to the container's / land in its overlay; the image rootfs is unchanged", async () => {
  const before = readdirSync(join(busybox.rootfs, "etc")).sort();
  await withJob({}, async (executor) => {
    const result = await run(executor, {
      command: "sh",
      args: ["-c", "echo x > /etc/written && rm /bin/ls && test -e /etc/written && ! test -e /bin/ls"],
    });
    assert.equal(result.exitCode, 0, result.stderr);
  });
  assert.deepEqual(readdirSync(join(busybox.rootfs, "etc")).sort(), before);
  assert.ok(statSync(join(busybox.rootfs, "bin/ls"), { throwIfNoEntry: false }) !== undefined);
});

test("cancelling an exec kills every process it started; a missing command is a spawn failure", async () => {
  await withJob({}, async (executor) => {
    const controller = new AbortController();
    const marker = `sleep 7${process.pid % 1000}1`;
    const pending = run(executor, {
      command: "sh",
      args: ["-c", `${marker} & ${marker}; echo never`],
      signal: controller.signal,
    });
    while (hostProcessesWith(marker).length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const result = await pending;
    assert.equal(result.cancelled, true);
    assert.equal(result.signal, "SIGTERM");
    assert.equal(result.stdout, "");
    assert.deepEqual(hostProcessesWith(marker), []);

    await assert.rejects(
      run(executor, { command: "no-such-command" }),
      (error: unknown) => error instanceof RunnerError && error.code === "RUNNER_SPAWN_FAILED",
    );
    const timed = await run(executor, { command: "sleep", args: ["30"], timeoutMs: 200 });
    assert.equal(timed.timedOut, true);
  });
});

test("the container sees neither host processes nor the host's /root, and runs without admin capabilities", async () => {
  await withJob({}, async (executor) => {
    const result = await run(executor, {
      command: "sh",
      args: [
        "-c",
        [
          "echo processes=$(ls -d /proc/[0-9]* | wc -l)",
          "test -e /root && echo ROOT=yes || echo ROOT=no",
          "mount -t tmpfs none /mnt 2>/dev/null && echo MOUNT=yes || echo MOUNT=no",
          "(echo x > /proc/sys/kernel/hostname) 2>/dev/null && echo PROCSYS=yes || echo PROCSYS=no",
          "grep CapEff /proc/self/status",
          "hostname",
        ].join("; "),
      ],
    });
    assert.equal(result.exitCode, 0, result.stderr);
    // Our keep-alive, its sleep, this shell and ls: the host's processes would be hundreds.
    assert.ok(Number(/processes=(\d+)/.exec(result.stdout)?.[1]) < 10, result.stdout);
    assert.match(result.stdout, /ROOT=no\nMOUNT=no\nPROCSYS=no\n/);
    const capEff = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(result.stdout)?.[1] ?? "0"}`);
    const capSysAdmin = 21n;
    assert.equal((capEff >> capSysAdmin) & 1n, 0n, "CAP_SYS_ADMIN must be dropped");
    assert.match(result.stdout, /^job\.container$/m);
  });
});

test("bash is found in an image that has it and not in busybox; steps run with it", async () => {
  await withJob({}, async (executor) => {
    assert.equal(executor.findExecutable("bash", undefined), undefined);
    assert.equal(executor.findExecutable("sh", undefined), "/bin/sh");
    assert.equal(executor.findExecutable("/.hangar/busybox", undefined), "/.hangar/busybox");
  });
  await withJob({ container: { image: await bashImage() } }, async (executor) => {
    assert.equal(executor.findExecutable("bash", "/nowhere:/usr/bin"), "/usr/bin/bash");
    const result = await run(executor, {
      command: "bash",
      args: ["-c", "echo ${BASH_VERSION%%.*} $((6*7))"],
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^\d+ 42\n$/);
  });
});

test("a service is reached by name from the job container and on a mapped 127.0.0.1 port from the host", async () => {
  const www = join(baseDir, "www");
  await mkdir(www, { recursive: true });
  await writeFile(join(www, "index.html"), "hello from web\n");
  const web = {
    name: "web",
    image: {
      ...busybox,
      config: { ...busybox.config, entrypoint: ["httpd", "-f", "-p", "80", "-h", "/www"], cmd: [] },
    },
    ports: ["80"],
    volumes: [`${www}:/www:ro`],
    options:
      '--health-cmd "wget -q -O /dev/null http://127.0.0.1/" --health-interval 100ms --network-alias www',
  };
  await withJob({ services: [web] }, async (executor) => {
    const inside = await run(executor, {
      command: "sh",
      args: ["-c", "wget -q -O - http://web/ && wget -q -O - http://www/"],
    });
    assert.equal(inside.exitCode, 0, inside.stderr);
    assert.equal(inside.stdout, "hello from web\nhello from web\n");
    const service = executor.containers.find((started) => started.name === "web");
    const hostPort = service?.ports["80"];
    assert.ok(hostPort);
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: "127.0.0.1", port: hostPort, path: "/" }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      })
        .on("error", reject)
        .end();
    });
    assert.equal(body, "hello from web\n");
  });
});

test("a health check that passes after a while is waited for; one that never passes fails with its output and the log", async () => {
  const containers = await JobContainers.create({ dir: join(baseDir, "health"), network: "host" });
  try {
    const slow = await containers.startService({
      name: "slow",
      image: {
        ...busybox,
        config: { ...busybox.config, entrypoint: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"] },
      },
      options: '--health-cmd "test -f /tmp/ready" --health-interval 100ms --health-retries 100',
    });
    const ready = await slow.container.exec(
      { args: ["test", "-f", "/tmp/ready"], env: ["PATH=/bin"], cwd: "/" },
      () => {},
    );
    assert.equal(ready.exitCode, 0);
    await assert.rejects(
      containers.startService({
        name: "broken",
        image: {
          ...busybox,
          config: { ...busybox.config, entrypoint: ["sh", "-c", "echo broken-service-log; exec sleep 1000"] },
        },
        options: '--health-cmd "echo not-ready-yet; exit 1" --health-interval 50ms --health-retries 3',
      }),
      (error: unknown) =>
        error instanceof ContainerError &&
        error.code === "CONTAINER_HEALTH_CHECK_FAILED" &&
        error.message.includes("service 'broken'") &&
        error.message.includes("not-ready-yet") &&
        error.message.includes("broken-service-log"),
    );
  } finally {
    await containers.destroy();
  }
});

test("with network none, containers still reach each other by name, but get no route out and publish nothing", async () => {
  const www = join(baseDir, "www-none");
  await mkdir(www, { recursive: true });
  await writeFile(join(www, "index.html"), "isolated\n");
  const httpd = {
    ...busybox,
    config: { ...busybox.config, entrypoint: ["httpd", "-f", "-p", "80", "-h", "/www"], cmd: [] },
  };
  const containers = await JobContainers.create({ dir: join(baseDir, "none"), network: "none" });
  try {
    await containers.startService({ name: "web", image: httpd, volumes: [`${www}:/www:ro`] });
    await assert.rejects(
      containers.startService({ name: "published", image: httpd, ports: ["80"] }),
      (error: unknown) => error instanceof ContainerError && error.message.includes('network is "none"'),
    );
    const job = await containers.startJobContainer({ image: busybox }, []);
    const chunks: Buffer[] = [];
    const result = await job.container.exec(
      {
        args: ["sh", "-c", "until wget -q -O - http://web/; do sleep 0.1; done; ip route"],
        env: ["PATH=/bin"],
        cwd: "/",
      },
      (chunk) => chunks.push(chunk),
    );
    assert.equal(result.exitCode, 0);
    const output = Buffer.concat(chunks).toString("utf8");
    assert.match(output, /^isolated\n/);
    assert.doesNotMatch(output, /default/);
  } finally {
    await containers.destroy();
  }
});

test("teardown leaves no namespace, mount, crun state, bridge or process behind", async () => {
  const marker = `sleep 9${process.pid % 1000}3`;
  let jobRoot = "";
  let bridge = "";
  let networkIndex = -1;
  let rootMountPoints: string[] = [];
  await withJob(
    {
      services: [
        {
          name: "db",
          image: { ...busybox, config: { ...busybox.config, entrypoint: ["sh", "-c", marker] } },
        },
      ],
    },
    async (executor, dirs) => {
      jobRoot = join(dirs.temp, "..");
      const started = await run(executor, {
        command: "sh",
        args: ["-c", `(${marker} >/dev/null 2>&1 &) ; echo started`],
      });
      assert.equal(started.stdout, "started\n");
      assert.ok(hostProcessesWith(marker).length >= 2);
      assert.ok(readFileSync("/proc/mounts", "utf8").includes(jobRoot));
      // Other test files may run jobs at the same time: this job's bridge and roots, not any hangar one.
      bridge = executor.jobContainers!.network.bridge;
      networkIndex = executor.jobContainers!.network.index;
      assert.ok(netnsNames().some((name) => name.startsWith(`hangar-${networkIndex}-`)));
      rootMountPoints = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .filter((line) => line.includes(`upperdir=${jobRoot}/`))
        .map((line) => line.split(" ")[1]);
      assert.equal(rootMountPoints.length, 2, "the service's and the job container's overlays");
    },
  );
  // Namespaces are named for the job network's index; other files' jobs have their own.
  assert.deepEqual(
    netnsNames().filter((name) => name.startsWith(`hangar-${networkIndex}-`)),
    [],
  );
  assert.equal(readFileSync("/proc/mounts", "utf8").includes(jobRoot), false);
  assert.equal(statSync(jobRoot, { throwIfNoEntry: false }), undefined);
  for (const mountPoint of rootMountPoints)
    assert.equal(statSync(mountPoint, { throwIfNoEntry: false }), undefined);
  assert.deepEqual(hostProcessesWith(marker), []);
  const bridges = execFileSync("ip", ["-o", "link", "show", "type", "bridge"], { encoding: "utf8" });
  assert.doesNotMatch(bridges, new RegExp(`: ${bridge}[:@]`));
});

test("in a user namespace container root is host uid 300000000: inside, seen from the host, and in its overlay", async () => {
  const { hostId, size } = containerIdMap;
  const marker = `sleep 8${process.pid % 1000}5`;
  await withJob({}, async (executor) => {
    const inside = await run(executor, {
      command: "sh",
      args: [
        "-c",
        [
          "id -u",
          "cat /proc/self/uid_map",
          "awk '$5 == \"/sys\" { print $6 }' /proc/self/mountinfo",
          "echo made-inside > /made-inside",
          "touch /made-for-999 && chown 999:999 /made-for-999",
          `(${marker} >/dev/null 2>&1 &)`,
        ].join("; "),
      ],
    });
    assert.equal(inside.exitCode, 0, inside.stderr);
    const [uid, uidMap, sysOptions] = inside.stdout.split("\n");
    assert.equal(uid, "0");
    assert.deepEqual(uidMap.trim().split(/\s+/), ["0", String(hostId), String(size)]);
    assert.match(sysOptions, /^ro,/, "the host's /sys, read-only");
    const [pid] = hostProcessesWith(marker);
    assert.ok(pid, "the step's background process runs");
    const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1].split(/\s+/);
    assert.deepEqual(uids, Array(4).fill(String(hostId)));
    const upper = join(jobContainerOf(executor).container.config.dir, "overlay", "upper");
    assert.equal(statSync(join(upper, "made-inside")).uid, hostId);
    assert.equal(statSync(join(upper, "made-for-999")).uid, hostId + 999);
  });
  // The contrast: forced off, with an image keeping its own ids, container root is host root.
  await withJob(
    { userns: false, container: { image: await busyboxImage({ idMap: null }) } },
    async (executor) => {
      const inside = await run(executor, { command: "cat", args: ["/proc/self/uid_map"] });
      assert.deepEqual(inside.stdout.trim().split(/\s+/), ["0", "0", "4294967295"]);
    },
  );
});

test("in a user namespace the job dirs stay the runner's: files pass both ways, also for a non-root image user", async () => {
  await withJob({}, async (executor, dirs) => {
    await writeFile(join(dirs.workspace, "from-runner"), "runner\n", { mode: 0o600 });
    const result = await run(executor, {
      command: "sh",
      args: [
        "-c",
        "cat from-runner && echo step >> from-runner && echo step > from-step && stat -c %u:%g from-runner from-step",
      ],
      cwd: dirs.workspace,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, "runner\n0:0\n0:0\n", "container root owns what host root owns");
    assert.equal(await readFile(join(dirs.workspace, "from-runner"), "utf8"), "runner\nstep\n");
    const made = statSync(join(dirs.workspace, "from-step"));
    assert.deepEqual([made.uid, made.gid], [0, 0], "and what it makes is host root's");
    await writeFile(join(dirs.workspace, "from-step"), "the runner rewrites it\n");
  });
  await withJob({ container: { image: busybox, options: "--user 999:999" } }, async (executor, dirs) => {
    const open = join(dirs.workspace, "open");
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    await writeFile(join(dirs.workspace, "readable"), "for everyone\n");
    const result = await run(executor, {
      command: "sh",
      args: ["-c", "id -u && cat readable && echo by-999 > open/by-999"],
      cwd: dirs.workspace,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, "999\nfor everyone\n");
    assert.equal(statSync(join(open, "by-999")).uid, 999, "uid 999 in the container is 999 in the job dir");
  });
  // A sandbox job's dirs belong to its uid (200000+), beyond the container's ids; a Docker action step still writes them.
  const sandboxUid = 200_123;
  const sandboxDir = join(baseDir, "sandbox-job-dir");
  await mkdir(sandboxDir);
  await writeFile(join(sandboxDir, "by-runner"), "runner\n");
  await writeFile(join(sandboxDir, "by-sandbox"), "sandbox\n");
  for (const path of [sandboxDir, join(sandboxDir, "by-sandbox")]) await chown(path, sandboxUid, sandboxUid);
  const containers = await JobContainers.create({ dir: join(baseDir, "sandbox-owned"), network: "none" });
  try {
    const job = await containers.startJobContainer({ image: busybox }, [
      { source: sandboxDir, destination: "/j" },
    ]);
    const result = await job.container.exec(
      {
        args: ["sh", "-c", "echo step >> by-runner && echo step >> by-sandbox && echo new > new"],
        env: ["PATH=/bin"],
        cwd: "/j",
      },
      () => {},
    );
    assert.equal(result.exitCode, 0);
  } finally {
    await containers.destroy();
  }
  assert.equal(await readFile(join(sandboxDir, "by-sandbox"), "utf8"), "sandbox\nstep\n");
  assert.equal(await readFile(join(sandboxDir, "by-runner"), "utf8"), "runner\nstep\n");
  assert.equal(statSync(join(sandboxDir, "by-sandbox")).uid, sandboxUid, "owners stay as they were");
  assert.equal(statSync(join(sandboxDir, "new")).uid, 0);
});

test("container root is not host root: a root-only host file bound with host ids is unreadable, unlike without a user namespace", async () => {
  const secret = join(baseDir, "root-only");
  await writeFile(secret, "host secret\n", { mode: 0o600 });
  const readSecret = async (userns: boolean, image: RuntimeImage) => {
    const containers = await JobContainers.create({
      dir: join(baseDir, `secret-${userns}`),
      network: "none",
      userns,
    });
    try {
      const mount = { source: secret, destination: "/secret", readOnly: true, keepHostIds: true };
      const job = await containers.startJobContainer({ image }, [mount]);
      const chunks: Buffer[] = [];
      const result = await job.container.exec(
        { args: ["sh", "-c", "stat -c %u /secret && cat /secret 2>&1"], env: ["PATH=/bin"], cwd: "/" },
        (chunk) => chunks.push(chunk),
      );
      return { exitCode: result.exitCode, output: Buffer.concat(chunks).toString("utf8") };
    } finally {
      await containers.destroy();
    }
  };
  const ownIds = await busyboxImage({ idMap: null });
  const inUserNamespace = await readSecret(true, busybox);
  assert.notEqual(inUserNamespace.exitCode, 0);
  assert.match(inUserNamespace.output, /^65534\n.*Permission denied/s, "host root shows as nobody");
  assert.deepEqual(await readSecret(false, ownIds), { exitCode: 0, output: "0\nhost secret\n" });

  const containers = await JobContainers.create({ dir: join(baseDir, "mismatch"), network: "none" });
  try {
    await assert.rejects(
      containers.startJobContainer({ image: ownIds }, []),
      (error: unknown) =>
        error instanceof ContainerError &&
        error.code === "CONTAINER_START_FAILED" &&
        error.message.includes("image test/busybox is unpacked with its own ids"),
    );
  } finally {
    await containers.destroy();
  }
});
