// The options/ports/volumes parsers of container jobs and services: the supported subset and clear refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ContainerError,
  parseBytes,
  parseContainerOptions,
  parseDuration,
  parsePortMapping,
  parseVolume,
} from "../../src/runner/index.js";

function refusedWith(fragment: string) {
  return (error: unknown) =>
    error instanceof ContainerError &&
    error.code === "CONTAINER_BAD_OPTION" &&
    error.message.includes(fragment);
}

test("health-check options, quoted as the GitHub runner splits them, get Docker's defaults for what is missing", () => {
  assert.deepEqual(
    parseContainerOptions(
      '--health-cmd "pg_isready -U postgres" --health-interval 10s --health-timeout=5s --health-retries 5',
    ),
    {
      env: {},
      networkAliases: [],
      healthCheck: {
        command: "pg_isready -U postgres",
        intervalMs: 10_000,
        timeoutMs: 5000,
        retries: 5,
        startPeriodMs: 0,
      },
    },
  );
  assert.deepEqual(parseContainerOptions("--health-cmd redis-cli").healthCheck, {
    command: "redis-cli",
    intervalMs: 30_000,
    timeoutMs: 30_000,
    retries: 3,
    startPeriodMs: 0,
  });
  assert.equal(
    parseContainerOptions("--health-cmd true --health-start-period 1m30s").healthCheck?.startPeriodMs,
    90_000,
  );
  assert.deepEqual(parseContainerOptions(undefined), { env: {}, networkAliases: [] });
});

test("env, user, workdir, entrypoint, limits and aliases", () => {
  assert.deepEqual(
    parseContainerOptions(
      "-e A=1 --env B=x=y --user 1000:1000 -w /src --entrypoint /bin/init --memory 512m --cpus 1.5 --network-alias db --network-alias=pg --security-opt seccomp=unconfined",
    ),
    {
      env: { A: "1", B: "x=y" },
      user: "1000:1000",
      workdir: "/src",
      entrypoint: "/bin/init",
      memoryBytes: 512 * 1024 * 1024,
      cpus: 1.5,
      networkAliases: ["db", "pg"],
      isSeccompUnconfined: true,
    },
  );
});

test("unsupported or malformed options are refused by name", () => {
  assert.throws(() => parseContainerOptions("--privileged"), refusedWith("'--privileged' is not supported"));
  assert.throws(() => parseContainerOptions("--health-cmd true --network host"), refusedWith("'--network'"));
  assert.throws(() => parseContainerOptions("--health-interval"), refusedWith("needs a value"));
  assert.throws(
    () => parseContainerOptions("--health-interval 10"),
    refusedWith("--health-interval needs a duration"),
  );
  assert.throws(
    () => parseContainerOptions("--health-retries 2.5"),
    refusedWith("--health-retries needs a whole number"),
  );
  assert.throws(() => parseContainerOptions("--health-interval 1s"), refusedWith("no --health-cmd"));
  assert.throws(() => parseContainerOptions("-e SECRET"), refusedWith("--env needs NAME=VALUE"));
  assert.throws(() => parseContainerOptions("--memory lots"), refusedWith("--memory needs a size"));
  assert.throws(() => parseContainerOptions("--cpus 0"), refusedWith("--cpus needs a positive number"));
  assert.throws(
    () => parseContainerOptions("--security-opt apparmor=unconfined"),
    refusedWith("--security-opt supports only seccomp=unconfined"),
  );
});

test("durations and sizes in docker's formats", () => {
  assert.equal(parseDuration("x", "500ms"), 500);
  assert.equal(parseDuration("x", "1h2m3s"), 3_723_000);
  assert.equal(parseDuration("x", "1.5s"), 1500);
  assert.throws(() => parseDuration("x", "5 s"), refusedWith("x needs a duration"));
  assert.throws(() => parseDuration("x", ""), refusedWith("x needs a duration"));
  assert.equal(parseBytes("x", "1024"), 1024);
  assert.equal(parseBytes("x", "2g"), 2 * 1024 ** 3);
  assert.equal(parseBytes("x", "64MB"), 64 * 1024 ** 2);
});

test("ports: container port alone gets a free host port; host:container maps; UDP and ranges are refused", () => {
  assert.deepEqual(parsePortMapping("5432"), { containerPort: 5432 });
  assert.deepEqual(parsePortMapping("8080:80"), { containerPort: 80, hostPort: 8080 });
  assert.deepEqual(parsePortMapping("8080:80/tcp"), { containerPort: 80, hostPort: 8080 });
  assert.throws(() => parsePortMapping("53/udp"), refusedWith("TCP only"));
  assert.throws(() => parsePortMapping("8000-8010:80"), refusedWith("not supported"));
  assert.throws(() => parsePortMapping("70000"), refusedWith("out of range"));
});

test("volumes: host paths, named and anonymous volumes, read-only", () => {
  assert.deepEqual(parseVolume("/data:/var/lib/data:ro"), {
    source: { kind: "host", path: "/data" },
    destination: "/var/lib/data",
    readOnly: true,
  });
  assert.deepEqual(parseVolume("cache:/cache"), {
    source: { kind: "named", name: "cache" },
    destination: "/cache",
    readOnly: false,
  });
  assert.deepEqual(parseVolume("/scratch"), {
    source: { kind: "anonymous" },
    destination: "/scratch",
    readOnly: false,
  });
  assert.throws(() => parseVolume("relative"), refusedWith("absolute container path"));
  assert.throws(() => parseVolume("/a:/b:rx"), refusedWith("use ro or rw"));
  assert.throws(
    () => parseVolume("../up:/b"),
    refusedWith("neither an absolute host path nor a volume name"),
  );
});
