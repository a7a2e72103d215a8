#!/usr/bin/env node
// `hangar serve` in one command, offline: makes a git repository with a workflow, starts the server on a free port
// with a fresh data directory, registers the repository and creates a viewer API token, sends it a push webhook
// signed like GitHub's, waits for the run through the JSON API, prints its jobs and logs, and stops the server.
// Exits 0 when the run succeeded.
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const hangar = [path.join(root, "bin/hangar.js")];
const repositoryName = "demo-org/hello-serve";
const runTimeoutMs = 120_000;

const workflow = `name: demo
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      greeting: \${{ steps.greet.outputs.greeting }}
    steps:
      - uses: actions/checkout@v4
      - id: greet
        run: echo "greeting=$(cat greeting.txt)" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        reader: [alice, bob]
    steps:
      - run: echo "\${{ matrix.reader }} reads '\${{ needs.build.outputs.greeting }}' at $GITHUB_SHA"
`;

const say = (line) => process.stdout.write(`${line}\n`);

async function main() {
  if (!existsSync(path.join(root, "dist/hangar.js"))) {
    throw new Error("hangar is not built yet: run `npm ci` (or `npm run build`) first");
  }
  const work = await mkdtemp(path.join(os.tmpdir(), "hangar-serve-demo-"));
  const repo = path.join(work, "repo");
  const dataDir = path.join(work, "data");
  const secret = randomBytes(16).toString("hex");
  let server;
  try {
    const sha = await makeRepository(repo);
    say(`1. made a git repository at ${repo} (main at ${sha.slice(0, 8)}) with .github/workflows/ci.yml`);

    runHangar(["repo", "add", repositoryName, "--git", repo, "--secret", secret, "--data-dir", dataDir]);
    say(`2. registered it as ${repositoryName} with a webhook secret`);

    // The API answers only API tokens; the demo only reads, so a viewer token is enough.
    const token = runHangar([
      "token",
      "create",
      "--user",
      "demo",
      "--role",
      "viewer",
      "--data-dir",
      dataDir,
    ]).trim();
    say("   created a viewer API token for reading the run back");

    server = await startServer(dataDir);
    say(`3. hangar serve is listening on ${server.url}; webhooks go to ${server.url}/webhooks/github`);

    const deliveryId = await sendPush(server.url, secret, sha);
    const runId = await waitForDeliveryRun(server.url, deliveryId, token);
    say(
      `4. sent a signed push webhook: answered 202 at once, then taken from the intake queue as run ${runId}`,
    );

    const { run, jobs } = await waitForRun(server.url, runId, token);
    say(`5. run ${runId} ${run.status}: ${run.conclusion}\n`);
    for (const job of jobs) {
      say(`--- job ${job.key}: ${job.conclusion}`);
      const { chunks } = await getJson(`${server.url}/api/jobs/${job.id}/logs`, token);
      process.stdout.write(chunks.map((chunk) => chunk.text).join(""));
    }
    say("");
    return run.conclusion === "success" ? 0 : 1;
  } finally {
    if (server) {
      await server.stop();
      say("6. stopped the server");
    }
    await rm(work, { recursive: true, force: true });
  }
}

async function makeRepository(dir) {
  await mkdir(path.join(dir, ".github/workflows"), { recursive: true });
  await writeFile(path.join(dir, ".github/workflows/ci.yml"), workflow);
  await writeFile(path.join(dir, "greeting.txt"), "hello from hangar serve\n");
  const git = (...args) => {
    const result = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=hangar demo", "-c", "user.email=demo@example.com", "commit", "-q", "-m", "demo");
  return git("rev-parse", "HEAD");
}

function runHangar(args) {
  const result = spawnSync(process.execPath, [...hangar, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`hangar ${args[0]} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * The embedded runner sandboxes jobs with bubblewrap by default; on a machine without it (Debian package bubblewrap)
 * the demo falls back to the host executor, and says so.
 */
function executorArgs() {
  if (spawnSync("bwrap", ["--version"]).status === 0) return [];
  process.stderr.write(
    "bubblewrap (bwrap) is not installed: the demo runs its job with --executor host instead\n",
  );
  return ["--executor", "host"];
}

/** Starts `hangar serve --port 0` and reads the address it picked from its stderr. */
function startServer(dataDir) {
  const child = spawn(
    process.execPath,
    [
      ...hangar,
      "serve",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--runner-labels",
      "ubuntu-latest",
      ...executorArgs(),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GITHUB_TOKEN: "" } },
  );
  // The server's request log (JSON lines on stdout) is shown only if something goes wrong.
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (!match) return;
      child.stderr.removeAllListeners("data");
      child.stderr.on("data", (more) => (output += more));
      resolve({
        url: match[1],
        async stop() {
          child.kill("SIGTERM");
          const code = await exited;
          if (code !== 0) process.stderr.write(`hangar serve exited with ${code}:\n${output}`);
        },
      });
    });
    void exited.then((code) =>
      reject(new Error(`hangar serve exited with ${code} before listening:\n${output}`)),
    );
  });
}

/** Delivers a push the way GitHub does: JSON body, event and delivery headers, HMAC-SHA256 signature. */
async function sendPush(url, secret, sha) {
  const body = JSON.stringify({
    ref: "refs/heads/main",
    before: "0000000000000000000000000000000000000000",
    after: sha,
    repository: { full_name: repositoryName, name: "hello-serve", owner: { login: "demo-org" } },
    sender: { login: "demo-user" },
  });
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const response = await fetch(`${url}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signature,
    },
    body,
  });
  const answer = await response.json();
  if (response.status !== 202) {
    throw new Error(`the webhook was answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer.deliveryId;
}

/** The server answers a delivery once it is queued; its run exists once the intake queue has taken it. */
async function waitForDeliveryRun(url, deliveryId, token) {
  const deadline = Date.now() + runTimeoutMs;
  for (;;) {
    const delivery = await getJson(`${url}/api/deliveries/${deliveryId}`, token);
    if (delivery.status === "failed") throw new Error(`delivery ${deliveryId} failed: ${delivery.error}`);
    if (delivery.status === "handled") {
      if (delivery.runIds.length === 0) throw new Error(`delivery ${deliveryId} started no run`);
      return delivery.runIds[0];
    }
    if (Date.now() > deadline)
      throw new Error(`delivery ${deliveryId} was not taken within ${runTimeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForRun(url, runId, token) {
  const deadline = Date.now() + runTimeoutMs;
  for (;;) {
    const found = await getJson(`${url}/api/runs/${runId}`, token);
    if (found.run.status === "completed") return found;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within ${runTimeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function getJson(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
