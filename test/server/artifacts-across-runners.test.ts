// Artifacts and caches across runners: `hangar serve` without an embedded runner and two `hangar runner` processes
// with their own data dirs and labels. Job 1 (runner A) uploads an artifact and saves a cache; job 2 (runner B)
// downloads and restores both exactly; the API lists the artifact and zips it; a runner reaches only its own run.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import type { RunningServer } from "../../src/server/index.js";
import { getRun } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { pushHead, registerRunnerIn, startServerWithRepository } from "../support/server-with-repository.js";

const workflow = `on: push
jobs:
  make:
    runs-on: [self-hosted, alpha]
    outputs:
      artifact-id: \${{ steps.upload.outputs.artifact-id }}
    steps:
      - run: |
          mkdir -p out/sub .deps
          printf 'one\\n' > out/a.txt
          printf 'two\\n' > out/sub/b.sh
          chmod 644 out/a.txt
          chmod 755 out/sub/b.sh
          printf 'dependency v1\\n' > .deps/lib.txt
      - id: cache
        uses: actions/cache@v4
        with:
          key: deps-v1
          path: .deps
      - id: upload
        uses: actions/upload-artifact@v4
        with:
          name: build-output
          path: out/
  use:
    needs: make
    runs-on: [self-hosted, beta]
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: build-output
          path: got
      - run: |
          test "$(cat got/a.txt)" = one
          test "$(cat got/sub/b.sh)" = two
          test -x got/sub/b.sh
          test ! -x got/a.txt
      - id: restore
        uses: actions/cache/restore@v4
        with:
          key: deps-v1
          path: .deps
          fail-on-cache-miss: true
      - run: |
          test "\${{ steps.restore.outputs.cache-hit }}" = true
          test "$(cat .deps/lib.txt)" = "dependency v1"
`;

interface Setup {
  server: RunningServer;
  repo: string;
  base: string;
  /** A viewer API token for the artifact API. */
  viewer: string;
}

async function setUp(t: { after(fn: () => Promise<void>): void }): Promise<Setup> {
  const repo = await makeGitRepo({ ".github/workflows/ci.yml": workflow });
  const { server, base } = await startServerWithRepository(t, repo);
  return { server, repo, base, viewer: await createApiToken(server.store, { role: "viewer" }) };
}

/** Pushes, then runs `make` on runner A and `use` on runner B (each with its own data dir, exiting after one job). */
async function runOnTwoRunners(setup: Setup) {
  const { server, base } = setup;
  const alphaDir = path.join(base, "runner-a");
  const betaDir = path.join(base, "runner-b");
  await registerRunnerIn(server, alphaDir, ["self-hosted", "linux", "alpha"]);
  await registerRunnerIn(server, betaDir, ["self-hosted", "linux", "beta"]);
  const runId = await pushHead(setup.server, setup.repo);
  // 1. runner A takes `make` (only it has alpha), 2. runner B takes `use` once `make` finished.
  const [alpha, beta] = await Promise.all([
    runHangar(["runner", "run", "--once", "--data-dir", alphaDir]),
    runHangar(["runner", "run", "--once", "--data-dir", betaDir]),
  ]);
  assert.equal(alpha.code, 0, alpha.stderr);
  assert.equal(beta.code, 0, beta.stderr);
  await server.launcher.idle();
  const found = await getRun(server.store, runId);
  assert.equal(found?.run.conclusion, "success", `${alpha.stderr}\n${beta.stderr}`);
  return { runId, jobs: found!.jobs, alpha, beta };
}

async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Reads a zip with Python's zipfile (an implementation apart from ours): each name with its text and mode. */
function readZip(file: string): Record<string, { text: string; mode: number }> {
  const script =
    "import json,sys,zipfile\n" +
    "z = zipfile.ZipFile(sys.argv[1])\n" +
    "print(json.dumps({i.filename: {'text': z.read(i).decode(), 'mode': (i.external_attr >> 16) & 0o777} for i in z.infolist()}))";
  return JSON.parse(execFileSync("python3", ["-c", script, file]).toString()) as Record<
    string,
    { text: string; mode: number }
  >;
}

test("an artifact and a cache made on one runner are used exactly on another", async (t) => {
  const setup = await setUp(t);
  const { server, base, viewer } = setup;
  const { runId, jobs, alpha, beta } = await runOnTwoRunners(setup);
  assert.match(alpha.stderr, /Cache saved with key: deps-v1/);
  assert.match(beta.stderr, /Cache restored from key: deps-v1/);
  const make = jobs.find((job) => job.jobId === "make")!;
  const use = jobs.find((job) => job.jobId === "use")!;
  assert.notEqual(make.runnerId, use.runnerId);

  const listed = await getJson(`${server.url}/api/runs/${runId}/artifacts`, viewer);
  assert.equal(listed.status, 200);
  const artifacts = listed.body["artifacts"] as Array<Record<string, unknown>>;
  assert.equal(artifacts.length, 1);
  assert.equal(artifacts[0]!["name"], "build-output");
  assert.equal(artifacts[0]!["fileCount"], 2);
  assert.equal(artifacts[0]!["size"], 8);
  assert.equal(artifacts[0]!["runId"], runId);
  // The step's artifact-id output is the API's id.
  assert.equal(String(artifacts[0]!["id"]), make.outputs?.["artifact-id"]);

  const zip = await fetch(`${server.url}/api/artifacts/${String(artifacts[0]!["id"])}/zip`, {
    headers: authHeaders(viewer),
  });
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get("content-type"), "application/zip");
  assert.match(zip.headers.get("content-disposition") ?? "", /attachment; filename="build-output\.zip"/);
  const zipFile = path.join(base, "download.zip");
  await writeFile(zipFile, Buffer.from(await zip.arrayBuffer()));
  assert.deepEqual(readZip(zipFile), {
    "a.txt": { text: "one\n", mode: 0o644 },
    "sub/b.sh": { text: "two\n", mode: 0o755 },
  });

  const missing = await getJson(`${server.url}/api/artifacts/999999/zip`, viewer);
  assert.equal(missing.status, 404);
  assert.equal(missing.body["code"], "NOT_FOUND");
  assert.equal((await getJson(`${server.url}/api/runs/999999/artifacts`, viewer)).status, 404);
});

test("a runner reaches the artifacts of its own job's run only, and oversized or altered blobs are refused", async (t) => {
  const setup = await setUp(t);
  const { server, base, viewer } = setup;
  const { runId: firstRun, jobs } = await runOnTwoRunners(setup);
  const firstJob = jobs.find((job) => job.jobId === "make")!;
  const artifactId = (
    (await getJson(`${server.url}/api/runs/${firstRun}/artifacts`, viewer)).body["artifacts"] as Array<{
      id: number;
    }>
  )[0]!.id;

  // A third runner holds the first job of a second run (claimed over HTTP, never run).
  const token = await registerRunnerIn(server, path.join(base, "runner-c"), [
    "self-hosted",
    "linux",
    "alpha",
  ]);
  const secondRun = await pushHead(setup.server, setup.repo);
  const claim = await fetch(`${server.url}/api/runners/claim`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{}",
  });
  assert.equal(claim.status, 200);
  const claimed = (await claim.json()) as { jobId: number; request: { identity: { runId: string } } };
  assert.equal(claimed.request.identity.runId, String(secondRun));
  const own = `${server.url}/api/jobs/${claimed.jobId}/content`;

  // Its own run has no artifacts, and the first run's artifact is not reachable through its job.
  assert.deepEqual((await getJson(`${own}/artifacts`, token)).body, { artifacts: [] });
  const otherFiles = await getJson(`${own}/artifacts/${artifactId}/files`, token);
  assert.equal(otherFiles.status, 404);
  assert.equal(otherFiles.body["code"], "CONTENT_ARTIFACT_NOT_FOUND");
  // Through the first run's job it is refused: that job is not this runner's.
  const foreign = await getJson(`${server.url}/api/jobs/${firstJob.id}/content/artifacts`, token);
  assert.equal(foreign.status, 403);
  assert.equal(foreign.body["code"], "RUNNER_JOB_FORBIDDEN");
  // Without a runner token nothing is served.
  assert.equal((await getJson(`${own}/artifacts`)).status, 401);

  // A blob over the size limit is refused from its declared length, before any byte is read.
  const oversized = await putWithDeclaredLength(`${own}/blobs/${"0".repeat(64)}`, token, 20 * 1024 ** 3);
  assert.equal(oversized.status, 413);
  assert.equal(oversized.body["code"], "CONTENT_TOO_LARGE");
  // A body that does not hash to its digest is not kept.
  const altered = await fetch(`${own}/blobs/${"0".repeat(64)}`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", authorization: `Bearer ${token}` },
    body: "not what the digest says",
  });
  assert.equal(altered.status, 400);
  assert.equal(((await altered.json()) as { code: string }).code, "STORE_BLOB_DIGEST_MISMATCH");
  const stillMissing = await fetch(`${own}/blobs/missing`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ digests: ["0".repeat(64)] }),
  });
  assert.deepEqual(await stillMissing.json(), { missing: ["0".repeat(64)] });

  // Whatever a runner sends, a stored file stays below one of its job's own directories.
  const poison = Buffer.from("poison");
  const poisonDigest = createHash("sha256").update(poison).digest("hex");
  const stored = await fetch(`${own}/blobs/${poisonDigest}`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", authorization: `Bearer ${token}` },
    body: poison,
  });
  assert.equal(stored.status, 200);
  const file = { mode: 0o644, size: poison.length, digest: poisonDigest };
  const version = "0".repeat(64);
  for (const [base, filePath, code] of [
    ["root", "etc/cron.d/poison", "RUNNER_REQUEST_INVALID"],
    ["home", "../../etc/cron.d/poison", "CONTENT_FILE_PATH_INVALID"],
    ["workspace", "/etc/cron.d/poison", "CONTENT_FILE_PATH_INVALID"],
    ["tmp", "a//b", "CONTENT_FILE_PATH_INVALID"],
  ] as const) {
    const cache = await postJson(`${own}/caches`, token, {
      key: `k-${base}`,
      version,
      files: [{ ...file, base, path: filePath }],
    });
    assert.deepEqual([cache.status, cache.body["code"]], [400, code], `${base}:${filePath}`);
  }
  for (const filePath of ["../outside", "/etc/passwd", "a/./b"]) {
    const artifact = await postJson(`${own}/artifacts`, token, {
      name: "escape",
      files: [{ ...file, path: filePath }],
    });
    assert.equal(artifact.status, 400, filePath);
    assert.equal(artifact.body["code"], "CONTENT_FILE_PATH_INVALID");
  }

  // The held job ends (its dependant is then skipped), so the second run finishes before the server closes.
  const completed = await fetch(`${server.url}/api/jobs/${claimed.jobId}/complete`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ conclusion: "failure", outputs: {} }),
  });
  assert.equal(completed.status, 200);
  await server.launcher.idle();
});

async function postJson(
  url: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** fetch always sends the real length; this declares one and sends nothing, as a client about to stream would. */
function putWithDeclaredLength(
  url: string,
  token: string,
  length: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: "PUT",
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(length),
        authorization: `Bearer ${token}`,
      },
    });
    request.on("response", (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    request.on("error", reject);
    request.flushHeaders();
  });
}
