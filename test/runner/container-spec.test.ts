// Reading `container:` and `services:` after evaluation: both forms, GitHub's empty-image rules, and errors that name
// the field.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ContainerSpecError,
  readJobContainer,
  readServices,
} from "../../src/runner/containers/container-spec.js";

test("a container given as a string is just its image, with any docker:// scheme dropped", () => {
  assert.deepEqual(readJobContainer("node:20", "jobs.build.container"), {
    image: "node:20",
    env: {},
    ports: [],
    volumes: [],
    options: "",
  });
  assert.equal(readJobContainer("docker://ghcr.io/o/i:1", "jobs.build.container")?.image, "ghcr.io/o/i:1");
});

test("the mapping form keeps env as strings, ports and volumes as written, options and credentials", () => {
  const spec = readJobContainer(
    {
      image: "127.0.0.1:5000/app:1",
      env: { NODE_ENV: "test", RETRIES: 3, DEBUG: true },
      ports: [80, "8080:80"],
      volumes: ["cache:/cache", "/data:/data:ro"],
      options: " --cpus 1 ",
      credentials: { username: "octo", password: "s3cret" },
    },
    "jobs.build.container",
  );
  assert.deepEqual(spec, {
    image: "127.0.0.1:5000/app:1",
    env: { NODE_ENV: "test", RETRIES: "3", DEBUG: "true" },
    ports: ["80", "8080:80"],
    volumes: ["cache:/cache", "/data:/data:ro"],
    options: "--cpus 1",
    credentials: { username: "octo", password: "s3cret" },
  });
});

test("an empty image runs the job on the runner, and an empty service image starts no service", () => {
  assert.equal(readJobContainer("", "jobs.build.container"), undefined);
  assert.equal(readJobContainer({ image: "" }, "jobs.build.container"), undefined);
  assert.equal(readJobContainer(undefined, "jobs.build.container"), undefined);
  const services = readServices(
    { db: { image: "postgres:15" }, cache: { image: "" } },
    "jobs.build.services",
  );
  assert.deepEqual([...services.keys()], ["db"]);
});

test("errors name the field that is wrong", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => readJobContainer({ env: {} }, "jobs.a.container"), /^jobs\.a\.container\.image: required$/],
    [
      () => readJobContainer({ image: 5 }, "jobs.a.container"),
      /^jobs\.a\.container\.image: expected a string$/,
    ],
    [
      () => readJobContainer({ image: "x", ports: "80" }, "jobs.a.container"),
      /^jobs\.a\.container\.ports: expected a list$/,
    ],
    [
      () => readJobContainer({ image: "x", ports: [80, {}] }, "jobs.a.container"),
      /jobs\.a\.container\.ports\[1\]/,
    ],
    [
      () => readJobContainer({ image: "x", credentials: { username: "u" } }, "jobs.a.container"),
      /credentials\.password: required/,
    ],
    [
      () => readJobContainer({ image: "x", entrypoint: "sh" }, "jobs.a.container"),
      /unknown key 'entrypoint'/,
    ],
    [() => readServices(["db"], "jobs.a.services"), /^jobs\.a\.services: expected a mapping/],
    [
      () => readServices({ db: { image: "p", env: [] } }, "jobs.a.services"),
      /^jobs\.a\.services\.db\.env: expected a mapping$/,
    ],
  ];
  for (const [read, message] of cases) {
    assert.throws(
      read,
      (error: unknown) => error instanceof ContainerSpecError && message.test(error.message),
    );
  }
});
