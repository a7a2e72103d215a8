// Where a runner puts a job: the executor its runs-on labels are mapped to, and the network it gets. A pull request
// from a fork gets no network on the sandbox (a server on the host's 127.0.0.1 is out of reach), while the same
// job from the base repository reaches it; on the host executor the fork's job runs with a loud warning.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  createSandboxExecutor,
  HostExecutor,
  runJobRequest,
  type Executor,
  type JobRequest,
  type LogLine,
  type RunnerHost,
} from "../../src/runner/index.js";

let base: string;
let sandbox: Executor;
let host: Executor;
let port: number;
const server = createServer((socket) => socket.end("hello from the host\n"));

before(async () => {
  base = await mkdtemp(path.join(tmpdir(), "hangar-placement-"));
  await chmod(base, 0o711);
  sandbox = await createSandboxExecutor({ baseDir: path.join(base, "sandbox") });
  host = new HostExecutor({ baseDir: path.join(base, "host") });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  server.close();
  await rm(base, { recursive: true, force: true });
});

const workflow = (runsOn: string) => `on: pull_request
jobs:
  probe:
    runs-on: [${runsOn}]
    steps:
      - run: |
          echo "host=$(hostname)"
          if exec 3<>/dev/tcp/127.0.0.1/\${PROBE_PORT}; then echo "reached: $(head -1 <&3)"; else echo unreachable; fi
`;

function pullRequest(headRepository: string): JobRequest["event"] {
  return {
    name: "pull_request",
    payload: {
      pull_request: {
        head: { repo: { full_name: headRepository } },
        base: { repo: { full_name: "octo-org/app" } },
      },
      repository: { full_name: "octo-org/app" },
    },
  };
}

async function runProbe(
  placement: Pick<RunnerHost, "executor" | "executorsByLabel">,
  runsOn: string[],
  event: JobRequest["event"],
): Promise<{ texts: string[]; warnings: string[]; annotations: string[] }> {
  const lines: LogLine[] = [];
  const warnings: string[] = [];
  const request: JobRequest = {
    workflow: { path: ".github/workflows/probe.yml", content: workflow(runsOn.join(", ")) },
    jobId: "probe",
    ref: { jobId: "probe", key: "probe", name: "probe", index: 0 },
    runsOn,
    identity: {
      runId: "run-1",
      runNumber: 1,
      attempt: 1,
      actor: "mallory",
      sha: "a".repeat(40),
      ref: "refs/pull/1/merge",
      repository: { owner: "octo-org", name: "app" },
      serverUrl: "https://github.com",
    },
    event,
    contexts: {},
    workflowEnv: { PROBE_PORT: String(port) },
    requirePinnedSha: false,
  };
  const result = await runJobRequest(
    request,
    {
      ...placement,
      warn: (message) => warnings.push(message),
      dataDir: path.join(base, "data"),
      baseEnv: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      runnerName: "placement-test",
      stepDebug: false,
    },
    {
      signal: new AbortController().signal,
      forceSignal: new AbortController().signal,
      emit: (event, payload) => {
        if (event === "log:line") lines.push((payload as { line: LogLine }).line);
      },
    },
  );
  assert.equal(result.conclusion, "success", JSON.stringify({ result, lines }));
  return {
    texts: lines.filter((line) => line.stream === "stdout").map((line) => line.text),
    warnings,
    annotations: lines.flatMap((line) => (line.annotation ? [line.annotation.message] : [])),
  };
}

test("a fork's pull request gets no network on the sandbox; the base repository's own one does", async () => {
  const fork = await runProbe({ executor: sandbox }, ["self-hosted"], pullRequest("mallory/app"));
  assert.deepEqual(fork.texts, ["host=hangar-job", "unreachable"]);
  const own = await runProbe({ executor: sandbox }, ["self-hosted"], pullRequest("octo-org/app"));
  assert.deepEqual(own.texts, ["host=hangar-job", "reached: hello from the host"]);
  assert.deepEqual([...fork.warnings, ...own.warnings], []);
});

test("a fork's pull request on the host executor runs, with a warning in the job's log and the runner's", async () => {
  const fork = await runProbe({ executor: host }, ["self-hosted"], pullRequest("mallory/app"));
  assert.equal(fork.texts[1], "reached: hello from the host");
  assert.equal(fork.warnings.length, 1);
  assert.match(fork.warnings[0]!, /fork's pull request on the host executor/);
  assert.deepEqual(fork.annotations, fork.warnings);
});

test("--label-map routes a job by its runs-on labels, case-insensitively; others take the default", async () => {
  const placement = { executor: sandbox, executorsByLabel: new Map([["trusted", host]]) };
  const routed = await runProbe(placement, ["self-hosted", "Trusted"], pullRequest("octo-org/app"));
  assert.notEqual(routed.texts[0], "host=hangar-job", "the trusted job ran on the host");
  const other = await runProbe(placement, ["self-hosted"], pullRequest("octo-org/app"));
  assert.equal(other.texts[0], "host=hangar-job");
});
