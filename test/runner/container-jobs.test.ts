// Container jobs, service containers and Docker actions through the real CLI, offline: a loopback registry filled with
// images built from Debian packages (test/support/test-images.ts). The first test is issue 7's done-when workflow,
// run with `hangar run` and again on a `hangar runner` process claiming from a server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { getRun } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar, type CliResult } from "../support/hangar-cli.js";
import { freePort, startOciRegistry, type OciRegistry } from "../support/oci-registry.js";
import { pushHead, registerRunnerIn, startServerWithRepository } from "../support/server-with-repository.js";
import { buildTestImages, testImages, type TestImages } from "../support/test-images.js";

let registry: OciRegistry;
let images: Pick<TestImages, "debian-bash" | "debian-psql" | "postgres">;
/** One image store for the file's `hangar run`s: each image is pulled once. */
let dataDir: string;

before(async () => {
  registry = await startOciRegistry();
  images = await testImages(registry, ["debian-bash", "debian-psql", "postgres"]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-container-jobs-"));
});

after(async () => {
  await registry?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const postgresService = (ports: string) => `
      postgres:
        image: ${images.postgres}
        env:
          POSTGRES_PASSWORD: hunter22${ports}
        options: --health-cmd pg_isready --health-interval 1s --health-retries 30`;

/** Issue 7's done-when: container job + PostgreSQL service its steps query + a Docker action + a docker:// step. */
const doneWhenWorkflow = () => `on: push
jobs:
  db:
    runs-on: [self-hosted, linux]
    container:
      image: ${images["debian-psql"]}
      env:
        FROM_CONTAINER_ENV: set-by-container-env
    services:${postgresService("")}
    steps:
      - uses: actions/checkout@v4
      - name: query postgres by its service name
        env:
          PGPASSWORD: hunter22
        run: |
          test "$FROM_CONTAINER_ENV" = set-by-container-env
          test "$(wc -l < /etc/passwd)" = 2
          echo "default shell: $(readlink /proc/$$/exe)"
          psql -h postgres -p 5432 -U postgres -v ON_ERROR_STOP=1 -tA \\
            -c "CREATE TABLE t (v text)" -c "INSERT INTO t VALUES ('from-the-job')" -c "SELECT v FROM t" > out.txt
          cat out.txt
          test "$(tail -n 1 out.txt)" = from-the-job
      - name: job context
        run: |
          test -n "\${{ job.container.id }}"
          test -n "\${{ job.services.postgres.id }}"
          test -n "\${{ job.container.network }}"
          test "\${{ job.container.network }}" = "\${{ job.services.postgres.network }}"
      - id: greet
        uses: ./.github/actions/greet
        with:
          who: hangar
      - run: test "\${{ steps.greet.outputs.greeting }}" = "hello hangar"
      - id: plain
        uses: docker://${images["debian-bash"]}
        with:
          entrypoint: /bin/bash
          args: -c "echo docker-step-args ok; (exec 3<>/dev/tcp/postgres/5432) && echo from=$GITHUB_WORKSPACE >> $GITHUB_OUTPUT"
      - run: test "\${{ steps.plain.outputs.from }}" = /github/workspace
`;

/** A Docker action reading an input as INPUT_WHO, an arg and runs.env evaluated with inputs, writing GITHUB_OUTPUT. */
const greetAction = () => `name: greet
description: greets in a container
inputs:
  who:
    description: whom to greet
    required: true
outputs:
  greeting:
    description: the greeting
runs:
  using: docker
  image: docker://${images["debian-bash"]}
  entrypoint: /bin/bash
  args:
    - -c
    - |
      set -e
      test "$1" = hangar
      test "$GREETING_STYLE" = hangar-style
      test "$PWD" = /github/workspace
      test -f /github/workspace/README.md
      test "$HOME" = /github/home
      echo "greeting=hello $INPUT_WHO" >> "$GITHUB_OUTPUT"
      echo "the docker action ran"
    - greet
    - \${{ inputs.who }}
  env:
    GREETING_STYLE: \${{ inputs.who }}-style
`;

async function doneWhenRepo(): Promise<string> {
  return makeGitRepo({
    ".github/workflows/ci.yml": doneWhenWorkflow(),
    ".github/actions/greet/action.yml": greetAction(),
    "README.md": "the repository\n",
  });
}

function hangarRun(repo: string, ...args: string[]): Promise<CliResult> {
  return runHangar(
    ["run", ".", "--json", "--data-dir", dataDir, "--var", `REGISTRY=${registry.host}`, ...args],
    { cwd: repo, timeoutMs: 300_000 },
  );
}

function describe(result: CliResult): string {
  return `exit ${result.code}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
}

interface JobJson {
  key: string;
  conclusion: string;
  steps: { id: string; outcome: string }[];
}

function jobOf(result: CliResult, key: string): JobJson {
  const run = JSON.parse(result.stdout) as { jobs: JobJson[] };
  const job = run.jobs.find((each) => each.key === key);
  assert.ok(job, `no job ${key}\n${describe(result)}`);
  return job;
}

/** `hangar run` of a repository with these files, which must succeed; its log. */
async function greenRun(files: Record<string, string>, ...args: string[]): Promise<string> {
  let log = "";
  await withRepo(files, async (repo) => {
    const result = await hangarRun(repo, ...args);
    assert.equal(result.code, 0, describe(result));
    log = result.stderr;
  });
  return log;
}

/** `hangar run` of a repository with these files, whose job `jobKey` must fail; the log. */
async function failedRun(files: Record<string, string>, jobKey: string): Promise<string> {
  let log = "";
  await withRepo(files, async (repo) => {
    const result = await hangarRun(repo);
    assert.equal(result.code, 1, describe(result));
    assert.equal(jobOf(result, jobKey).conclusion, "failure", describe(result));
    log = result.stderr;
  });
  return log;
}

/** A git repository with these files for the length of `use`. */
async function withRepo(files: Record<string, string>, use: (repo: string) => Promise<void>): Promise<void> {
  const repo = await makeGitRepo(files);
  try {
    await use(repo);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

test("the done-when workflow runs green with hangar run: container job, postgres service, Docker action, docker:// step", async () => {
  const repo = await doneWhenRepo();
  try {
    const result = await hangarRun(repo);
    assert.equal(result.code, 0, describe(result));
    assert.equal(jobOf(result, "db").conclusion, "success", describe(result));
    assert.match(result.stderr, /from-the-job/);
    assert.match(result.stderr, /default shell: \/(usr\/)?bin\/bash/);
    assert.match(result.stderr, /the docker action ran/);
    assert.match(result.stderr, /docker-step-args ok/);
    // The service's log is kept with the job, as GitHub shows it after the steps.
    assert.match(result.stderr, /Service container postgres logs/);
    assert.match(result.stderr, /database initialised in \/var\/lib\/postgresql\/data/);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});

test("the done-when workflow runs green on a hangar runner claiming from a server", async (t) => {
  const repo = await doneWhenRepo();
  const { server, base } = await startServerWithRepository(t, repo);
  const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
  const runnerDir = path.join(base, "runner");
  await registerRunnerIn(server, runnerDir);

  const runId = await pushHead(server, repo);

  // The runner's default executor (sandbox) is not what runs the job: its container is.
  const ran = await runHangar(["runner", "run", "--once", "--data-dir", runnerDir], { timeoutMs: 300_000 });
  assert.equal(ran.code, 0, ran.stderr);
  await server.launcher.idle();
  const found = await getRun(server.store, runId);
  assert.equal(found?.run.conclusion, "success", `${JSON.stringify(found)}\n${ran.stderr}`);
  const job = found!.jobs.find((each) => each.jobId === "db")!;
  const logs = (await (await fetch(`${server.url}/api/jobs/${job.id}/logs`, { headers: viewer })).json()) as {
    chunks: { text: string }[];
  };
  const text = logs.chunks.map((chunk) => chunk.text).join("");
  assert.match(text, /from-the-job/);
  assert.match(text, /the docker action ran/);
  assert.match(text, /Service container postgres logs/);
});

test("a job on the runner's executor reaches its service at localhost:<mapped port>", async () => {
  const log = await greenRun({
    ".github/workflows/ci.yml": `on: push
jobs:
  host-db:
    runs-on: ubuntu-latest
    services:${postgresService(`
        ports:
          - 5432`)}
    steps:
      - env:
          PGPASSWORD: hunter22
        run: |
          test -z "\${{ job.container.id }}"
          port='\${{ job.services.postgres.ports['5432'] }}'
          test -n "$port"
          /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$port" -U postgres -tA -c "SELECT 'reached-' || 40 + 2"
`,
  });
  assert.match(log, /reached-42/);
  assert.match(log, /Service container postgres logs/);
});

test("--label-map ubuntu-latest=docker://IMAGE runs a plain job in that image", async () => {
  const log = await greenRun(
    {
      ".github/workflows/ci.yml": `on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test "$(cut -d: -f1 /etc/passwd | tr '\\n' ' ')" = "root nobody "
          test -n "\${{ job.container.id }}"
          echo "in the mapped image"
`,
    },
    "--label-map",
    `ubuntu-latest=docker://${images["debian-bash"]}`,
  );
  assert.match(log, /in the mapped image/);
});

test("a JavaScript action runs inside the job container on the runner's node, mounted at /__e/node20", async () => {
  const log = await greenRun({
    ".github/workflows/ci.yml": `on: push
jobs:
  js:
    runs-on: ubuntu-latest
    container: ${images["debian-bash"]}
    steps:
      - id: probe
        uses: ./.github/actions/probe
        with:
          who: container
      - run: test "\${{ steps.probe.outputs.seen }}" = "container /__e/node20/bin/node root nobody"
`,
    ".github/actions/probe/action.yml": `name: probe
description: reports where it runs
inputs:
  who:
    description: a name
outputs:
  seen:
    description: what it saw
runs:
  using: node20
  main: index.js
`,
    // The image's own bash and a second node started through process.execPath both work from the action.
    ".github/actions/probe/index.js": `const { appendFileSync, readFileSync } = require("node:fs");
const { execFileSync } = require("node:child_process");
const users = readFileSync("/etc/passwd", "utf8").trim().split("\\n").map((line) => line.split(":")[0]);
const child = execFileSync(process.execPath, ["-e", "process.stdout.write(process.execPath)"], { encoding: "utf8" });
const shell = execFileSync("bash", ["-c", "echo -n $BASH_VERSION"], { encoding: "utf8" });
if (!shell) throw new Error("the image's bash printed nothing");
const seen = [process.env.INPUT_WHO, child, ...users].join(" ");
appendFileSync(process.env.GITHUB_OUTPUT, "seen=" + seen + "\\n");
console.log("the probe saw " + seen);
`,
  });
  assert.match(log, /the probe saw container \/__e\/node20\/bin\/node root nobody/);
});

test("a service may be named job: it is reached by that name from the job container", async () => {
  const log = await greenRun({
    ".github/workflows/ci.yml": `on: push
jobs:
  named:
    runs-on: ubuntu-latest
    container: ${images["debian-bash"]}
    services:
      job:
        image: ${images.postgres}
        env:
          POSTGRES_PASSWORD: hunter22
        options: --health-cmd pg_isready --health-interval 1s --health-retries 30
    steps:
      - run: (exec 3<>/dev/tcp/job/5432) && echo "reached the service named job"
`,
  });
  assert.match(log, /reached the service named job/);
});

test("a job container from a registry that needs a login pulls with credentials: from secrets", async () => {
  const auth = { username: "hangar", password: "correct horse" };
  const privateRegistry = await startOciRegistry({ auth });
  try {
    const reference = `${privateRegistry.host}/private/bash:1`;
    await privateRegistry.push(await buildTestImages(["debian-bash"]), "debian-bash", reference);
    const workflow = (password: string) => `on: push
jobs:
  private:
    runs-on: ubuntu-latest
    container:
      image: ${reference}
      credentials:
        username: \${{ secrets.REGISTRY_USER }}
        password: \${{ secrets.${password} }}
    steps:
      - run: echo "in the private image as $(id -un)"
`;
    const secrets = [
      "--secret",
      `REGISTRY_USER=${auth.username}`,
      "--secret",
      `REGISTRY_PASSWORD=${auth.password}`,
    ];
    const log = await greenRun({ ".github/workflows/ci.yml": workflow("REGISTRY_PASSWORD") }, ...secrets);
    assert.match(log, /in the private image as root/);
    await withRepo({ ".github/workflows/ci.yml": workflow("WRONG_PASSWORD") }, async (repo) => {
      const result = await hangarRun(repo, ...secrets, "--secret", "WRONG_PASSWORD=guess");
      assert.equal(jobOf(result, "private").conclusion, "failure", describe(result));
      assert.match(result.stderr, /refused the credentials given for/);
      assert.ok(!result.stderr.includes("guess"), "the password is masked in the log");
    });
  } finally {
    await privateRegistry.stop();
  }
});

test("a bad image name fails the job naming jobs.<id>.container.image", async () => {
  const log = await failedRun(
    {
      ".github/workflows/ci.yml": `on: push
jobs:
  bad:
    runs-on: ubuntu-latest
    container:
      image: \${{ vars.REGISTRY }}/Hangar Test/debian-bash:1
    steps:
      - run: echo must not run
`,
    },
    "bad",
  );
  assert.match(log, /jobs\.bad\.container\.image: invalid image reference '[^']*Hangar Test/);
  assert.doesNotMatch(log, /\| must not run/);
});

test("an unreachable registry fails the job saying so and naming host:port", async () => {
  const closed = `127.0.0.1:${await freePort()}`;
  const log = await failedRun(
    {
      ".github/workflows/ci.yml": `on: push
jobs:
  unreachable:
    runs-on: ubuntu-latest
    container: ${closed}/hangar-test/debian-bash:1
    steps:
      - run: echo must not run
`,
    },
    "unreachable",
  );
  assert.ok(log.includes(`cannot reach registry ${closed}`), log);
  assert.match(log, /connection refused/);
});

test("a service option outside the supported subset fails the job naming the option", async () => {
  const log = await failedRun(
    {
      ".github/workflows/ci.yml": `on: push
jobs:
  privileged:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: \${{ vars.REGISTRY }}/hangar-test/postgres:1
        options: --privileged
    steps:
      - run: echo must not run
`,
    },
    "privileged",
  );
  assert.match(log, /container option '--privileged' is not supported/);
  assert.doesNotMatch(log, /\| must not run/);
});

/** A Docker action built from its Dockerfile: FROM the loopback registry, its ENTRYPOINT given the input as an arg. */
const dockerfileAction = () => ({
  ".github/actions/built/action.yml": `name: built
description: a Docker action built from its Dockerfile
inputs:
  who:
    description: whom
outputs:
  out:
    description: what it made
runs:
  using: docker
  image: Dockerfile
  args: ["\${{ inputs.who }}"]
`,
  ".github/actions/built/Dockerfile": `FROM ${images["debian-bash"]}
COPY entry.sh /entry.sh
ENTRYPOINT ["/bin/bash", "/entry.sh"]
`,
  ".github/actions/built/entry.sh": `echo "out=built-for-$1" >> "$GITHUB_OUTPUT"\necho "the built image ran"\n`,
});

test("a remote Docker action's pre-entrypoint runs at job start, its post-entrypoint after the last step", async () => {
  const actionRepo = await makeGitRepo({
    "action.yml": `name: docker-phases
description: a Docker action with all three entrypoints
runs:
  using: docker
  image: docker://${images["debian-bash"]}
  pre-entrypoint: /bin/bash
  entrypoint: /bin/bash
  post-entrypoint: /bin/bash
  args:
    - -c
    - |
      case "$STATE_phase" in
        "") echo "phase=pre" >> "$GITHUB_STATE"; echo "docker pre ran" ;;
        pre) echo "phase=main" >> "$GITHUB_STATE"; echo "docker main saw pre" ;;
        main) echo "docker post saw main" ;;
      esac
`,
  });
  try {
    const added = await runHangar([
      "actions",
      "add",
      "octo-org/docker-phases@main",
      "--from",
      actionRepo,
      "--data-dir",
      dataDir,
    ]);
    assert.equal(added.code, 0, added.stderr);
    await withRepo(
      {
        ".github/workflows/ci.yml": `on: push
jobs:
  phases:
    runs-on: ubuntu-latest
    steps:
      - run: echo "the first step"
      - uses: octo-org/docker-phases@main
      - run: echo "the last step"
`,
      },
      async (repo) => {
        const result = await hangarRun(repo);
        assert.equal(result.code, 0, describe(result));
        const lines = result.stderr.split("\n");
        const at = (text: string) => lines.findIndex((line) => line.includes(text));
        const order = [
          "docker pre ran",
          "the first step",
          "docker main saw pre",
          "the last step",
          "docker post saw main",
        ];
        for (const text of order) assert.ok(at(text) >= 0, `no '${text}' in\n${result.stderr}`);
        assert.deepEqual(
          [...order].sort((a, b) => at(a) - at(b)),
          order,
          result.stderr,
        );
      },
    );
  } finally {
    await rm(actionRepo, { recursive: true, force: true });
  }
});

/** The action images in buildah's own storage. */
function builtActionImages(): string[] {
  const names = execFileSync("buildah", ["images", "--format", "{{.Name}}:{{.Tag}}"], { encoding: "utf8" });
  return names.split("\n").filter((name) => name.includes("hangar-action"));
}

test("a Dockerfile action is built with buildah and runs with its inputs", async () => {
  // Left by hangar versions that kept them; without them, any image left now is this run's.
  for (const image of builtActionImages()) execFileSync("buildah", ["rmi", image]);
  const log = await greenRun({
    ".github/workflows/ci.yml": `on: push
jobs:
  build-action:
    runs-on: ubuntu-latest
    steps:
      - id: built
        uses: ./.github/actions/built
        with:
          who: you
      - run: test "\${{ steps.built.outputs.out }}" = built-for-you
`,
    ...dockerfileAction(),
  });
  assert.match(log, /the built image ran/);
  // The image store keeps the built image; buildah's storage does not.
  assert.deepEqual(builtActionImages(), []);
});

test("a Dockerfile action without buildah on PATH fails its step naming the Debian package", async () => {
  const repo = await makeGitRepo({
    ".github/workflows/ci.yml": `on: push
jobs:
  build-action:
    runs-on: ubuntu-latest
    steps:
      - id: built
        uses: ./.github/actions/built
      - id: after
        if: always()
        run: echo "the job went on"
`,
    ...dockerfileAction(),
  });
  // This machine's programs, but not buildah: symlinks to everything else on PATH.
  const bin = await mkdtemp(path.join(os.tmpdir(), "hangar-no-buildah-"));
  try {
    for (const dir of (process.env["PATH"] ?? "").split(":").filter(Boolean)) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((each) => each !== "buildah")) {
        await symlink(path.join(dir, name), path.join(bin, name)).catch(() => undefined);
      }
    }
    const result = await runHangar(["run", ".", "--json", "--data-dir", dataDir], {
      cwd: repo,
      env: { PATH: bin },
    });
    assert.equal(result.code, 1, describe(result));
    const job = jobOf(result, "build-action");
    assert.equal(job.steps.find((step) => step.id === "built")?.outcome, "failure");
    assert.equal(job.steps.find((step) => step.id === "after")?.outcome, "success");
    assert.match(result.stderr, /needs buildah, which is not on PATH: install the Debian package 'buildah'/);
  } finally {
    await Promise.all([repo, bin].map((dir) => rm(dir, { recursive: true, force: true })));
  }
});

test("--dry-run checks container references but pulls and starts nothing", async () => {
  const closed = `127.0.0.1:${await freePort()}`;
  const log = await greenRun(
    {
      ".github/workflows/ci.yml": `on: push
jobs:
  planned:
    runs-on: ubuntu-latest
    container: ${closed}/hangar-test/debian-bash:1
    services:
      db:
        image: ${closed}/hangar-test/postgres:1
    steps:
      - run: echo in the container
      - uses: docker://${closed}/hangar-test/debian-bash:1
        with:
          args: echo from a docker step
`,
    },
    "--dry-run",
  );
  assert.ok(log.includes(`[dry run] image ${closed}/hangar-test/postgres:1`), log);
  assert.match(log, /\[dry run\] .*debian-bash:1: echo from a docker step/);
  assert.doesNotMatch(log, /cannot reach registry/);
});
