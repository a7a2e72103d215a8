// Runs real public repositories' workflows (bench/corpus-list.ts) with `hangar run` on the host executor and reports
// jobs green / total and the first cause of every red job. Reads the repositories from local git mirrors only.
//
//   npm run build && node --import ./scripts/register.mjs bench/corpus.ts [--only OWNER/NAME]... [--jobs N] [--max-parallel N]
//        [--timeout-minutes N] [--mirror DIR] [--github-url URL] [--out FILE] [--update EARLIER_REPORT.json]
import { spawn, execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { access, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import type { JobSummary, RunResult } from "../src/engine/index.js";
import { corpus, type CorpusEntry } from "./corpus-list.js";
import { classifyFailure, foreignOsCause, noRunnerCause, type Cause } from "./corpus-causes.js";
import { readStepLogs } from "./corpus-logs.js";
import { startGitHttpServer } from "../test/support/git-http-server.js";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

const { values: options } = parseArgs({
  options: {
    only: { type: "string", multiple: true },
    jobs: { type: "string", default: "1" },
    "max-parallel": { type: "string", default: "2" },
    "timeout-minutes": { type: "string", default: "10" },
    mirror: { type: "string", default: process.env["HANGAR_CORPUS_MIRROR"] ?? "/work/.mirror" },
    out: { type: "string" },
    update: { type: "string" },
    "github-url": { type: "string" },
  },
});
const workflowRunsAtOnce = Number(options.jobs);
const timeoutMs = Number(options["timeout-minutes"]) * 60_000;

interface WorkflowFile {
  file: string;
  events: string[];
  /** `on.pull_request.types`, when given. */
  pullRequestTypes?: string[];
  jobs: Record<string, { "runs-on"?: unknown; needs?: string | string[]; uses?: string }>;
}

export interface JobRecord {
  key: string;
  conclusion: JobSummary["conclusion"] | "not run";
  /** Red: failed, cancelled or never run (GitHub would have run it); set with its first cause. */
  red?: Cause & { step?: string; exitCode?: number };
  /** Green on Linux for a job written for another OS. */
  falseGreen?: string;
}

export interface WorkflowRecord {
  repo: string;
  file: string;
  event?: string;
  outcome: "ran" | "not triggered" | "refused" | "killed" | "out of scope";
  note?: string;
  durationMs?: number;
  jobs: JobRecord[];
}

/** The mirror layout the `fetch` tool writes: DIR/owner+name/repo, a bare repository. */
function mirrorOf(repo: string): string {
  return path.join(options.mirror, repo.replace("/", "+"), "repo");
}

async function git(gitDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", ["--git-dir", gitDir, ...args], { maxBuffer: 64 << 20 });
  return stdout.trim();
}

async function listWorkflows(entry: CorpusEntry): Promise<WorkflowFile[]> {
  const gitDir = mirrorOf(entry.repo);
  const names = (await git(gitDir, "ls-tree", "--name-only", entry.commit, ".github/workflows/"))
    .split("\n")
    .filter((name) => /\.ya?ml$/.test(name));
  const files: WorkflowFile[] = [];
  for (const file of names) {
    const doc = parseYaml(await git(gitDir, "show", `${entry.commit}:${file}`)) as Record<string, unknown>;
    const on = doc["on"] ?? doc["true"];
    const events = typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : Object.keys(on ?? {});
    const pullRequest = (on as Record<string, { types?: string | string[] } | null> | undefined)?.[
      "pull_request"
    ];
    const types = pullRequest?.types;
    files.push({
      file,
      events,
      ...(types ? { pullRequestTypes: [types].flat() } : {}),
      jobs: (doc["jobs"] ?? {}) as WorkflowFile["jobs"],
    });
  }
  return files;
}

/** What GitHub runs on a push to the default branch, or on opening a pull request where only that triggers it. */
function eventFor(workflow: WorkflowFile): string | undefined {
  if (workflow.events.includes("push")) return "push";
  const opens = !workflow.pullRequestTypes || workflow.pullRequestTypes.includes("opened");
  if (workflow.events.includes("pull_request") && opens) return "pull_request";
  return undefined;
}

/**
 * A fresh tree of the pinned commit as a one-commit repository on the default branch's name, with `origin` naming
 * the GitHub repository (workflows test `github.repository`). One commit: every file counts as changed, so path
 * filters match as on a first push. A temporary index keeps the mirror untouched; unlike `git archive` it keeps
 * export-ignored files.
 */
async function checkOut(entry: CorpusEntry, branch: string, dir: string): Promise<void> {
  const gitDir = mirrorOf(entry.repo);
  const env = { ...process.env, GIT_INDEX_FILE: path.join(dir, "..", "index") };
  await execFileAsync("git", ["--git-dir", gitDir, "read-tree", entry.commit], { env });
  await execFileAsync("git", ["--git-dir", gitDir, "checkout-index", "-a", `--prefix=${dir}/`], { env });
  const inRepo = (...args: string[]) => execFileAsync("git", ["-C", dir, ...args], { maxBuffer: 64 << 20 });
  await inRepo("init", "-q", "-b", branch);
  await inRepo("config", "user.name", "corpus-bench");
  await inRepo("config", "user.email", "corpus-bench@localhost");
  await inRepo("add", "-A");
  await inRepo("commit", "-q", "--no-verify", "-m", `${entry.repo}@${entry.commit}`);
  await inRepo("remote", "add", "origin", `https://github.com/${entry.repo}.git`);
}

interface HangarOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  killed: boolean;
  durationMs: number;
}

/** `hangar run` from this worktree's build (`npm run build`); on timeout SIGTERM lets it cancel its jobs and still print JSON. */
function runHangar(args: string[], logFile: string): Promise<HangarOutcome> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [path.join(root, "bin/hangar.js"), "run", ...args],
    // No NO_COLOR: host jobs inherit this environment, and a test suite checking FORCE_COLOR would see it. hangar
    // writes no colour to a file anyway.
    { env: process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = createWriteStream(logFile);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    log.write(chunk);
  });
  let killed = false;
  const terminate = setTimeout(() => {
    killed = true;
    child.kill("SIGTERM");
  }, timeoutMs);
  const kill = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs + 60_000);
  return new Promise((resolve) => {
    child.on("close", (exitCode) => {
      clearTimeout(terminate);
      clearTimeout(kill);
      log.end();
      resolve({ exitCode, stdout, stderr, killed, durationMs: Date.now() - started });
    });
  });
}

/** The job's `runs-on` as written, with its matrix values when it is an expression. */
function jobLabels(workflow: WorkflowFile, job: JobSummary, called: Map<string, WorkflowFile>): string {
  const [callerId, calledId] = job.key.split(" / ");
  const caller = workflow.jobs[job.jobId] ?? workflow.jobs[callerId!];
  const definition = calledId ? called.get(caller?.uses ?? "")?.jobs[calledId] : caller;
  const runsOn = JSON.stringify(definition?.["runs-on"] ?? "");
  return runsOn.includes("${{") ? `${runsOn} ${JSON.stringify(job.matrix ?? {})}` : runsOn;
}

/** Local reusable workflows, to know their jobs' runs-on. */
async function readCalled(workflow: WorkflowFile, checkout: string): Promise<Map<string, WorkflowFile>> {
  const called = new Map<string, WorkflowFile>();
  for (const job of Object.values(workflow.jobs)) {
    if (!job.uses?.startsWith("./")) continue;
    const doc = parseYaml(await readFile(path.join(checkout, job.uses), "utf8").catch(() => "{}")) as {
      jobs?: WorkflowFile["jobs"];
    };
    called.set(job.uses, { file: job.uses, events: [], jobs: doc.jobs ?? {} });
  }
  return called;
}

function recordJobs(
  workflow: WorkflowFile,
  result: RunResult,
  hangar: HangarOutcome,
  labelsOf: (job: JobSummary) => string,
): JobRecord[] {
  const logs = readStepLogs(
    hangar.stderr,
    result.jobs.map((j) => j.key),
  );
  const records = new Map<string, JobRecord>();
  // Pass 1: jobs that failed on their own.
  for (const job of result.jobs) {
    const record: JobRecord = { key: job.key, conclusion: job.conclusion };
    const foreign = foreignOsCause(labelsOf(job));
    if (job.conclusion === "success" && foreign) record.falseGreen = foreign.detail;
    const calledJobs = result.jobs.filter((j) => j.key.startsWith(`${job.key} / `));
    if (job.conclusion === "failure" && calledJobs.length > 0 && !job.message) {
      // A job calling a reusable workflow fails because a called job did: its cause is theirs (pass 2).
    } else if (job.conclusion === "failure") {
      const step = job.steps.find((s) => s.conclusion === "failure");
      const text = [step?.message ?? job.message ?? "", ...(step ? logs.linesOf(job, step) : [])].join("\n");
      const exitCode = /exit code (\d+)/.exec(step?.message ?? "")?.[1];
      record.red = {
        ...(foreign ?? classifyFailure(text)),
        ...(step ? { step: step.name } : {}),
        ...(exitCode ? { exitCode: Number(exitCode) } : {}),
      };
    } else if (job.conclusion === "skipped" && /no runner for/.test(job.message ?? "")) {
      record.red = { ...noRunnerCause, detail: job.message! };
    } else if (job.conclusion === "cancelled" && hangar.killed) {
      record.red = {
        class: "limit",
        cause: "bench time limit",
        detail: `${options["timeout-minutes"]} minutes`,
      };
    }
    records.set(job.key, record);
  }
  // Pass 2: jobs stopped because of another: their first cause is that job's.
  const firstRed = (keys: string[]) => keys.map((k) => records.get(k)?.red).find(Boolean);
  // A job that failed after jobs it needs failed (an alls-green check) failed first because of them.
  for (const job of result.jobs) {
    const needs = [workflow.jobs[job.jobId]?.needs ?? []].flat();
    const needed = result.jobs.filter((j) => needs.includes(j.jobId)).map((j) => j.key);
    const theirs = job.conclusion === "failure" ? firstRed(needed) : undefined;
    if (theirs) records.get(job.key)!.red = theirs;
  }
  // Callers first, innermost first, so that the jobs needing them find their cause.
  for (const job of [...result.jobs].sort((a, b) => b.key.split(" / ").length - a.key.split(" / ").length)) {
    const record = records.get(job.key)!;
    const called = result.jobs.filter((j) => j.key.startsWith(`${job.key} / `)).map((j) => j.key);
    if (!record.red && job.conclusion === "failure" && called.length > 0) record.red = firstRed(called);
  }
  for (const job of result.jobs) {
    const record = records.get(job.key)!;
    if (record.red) continue;
    // A matrix leg cancelled by fail-fast before it started has reason `cancelled`, one cancelled while running `fail_fast`.
    if (job.reason === "fail_fast" || job.reason === "cancelled") {
      const siblings = result.jobs.filter((j) => j.jobId === job.jobId).map((j) => j.key);
      record.red = firstRed(siblings) ?? { class: "hangar", cause: "unclassified", detail: "fail-fast" };
    } else if (job.reason === "dependency_failed") {
      const needs = [workflow.jobs[job.jobId]?.needs ?? []].flat();
      const needed = result.jobs.filter((j) => needs.includes(j.jobId)).map((j) => j.key);
      record.red = firstRed(needed) ?? firstRed([...records.keys()]);
    } else if (job.conclusion === "cancelled" || job.conclusion === "failure") {
      record.red = { class: "hangar", cause: "unclassified", detail: job.message ?? job.reason ?? "" };
    }
  }
  return [...records.values()];
}

/**
 * GitHub's git host played by `git http-backend` over every mirror: actions and reusable workflows a corpus workflow
 * uses are fetched on demand from there, as the runner fetches them from github.com. One missing from the mirror
 * fails as it would with no internet.
 */
async function serveMirrors() {
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "hangar-corpus-git-"));
  for (const name of await readdir(options.mirror)) {
    const [owner, repo] = name.split("+");
    if (!owner || !repo) continue;
    await mkdir(path.join(gitRoot, owner), { recursive: true });
    await symlink(path.join(options.mirror, name, "repo"), path.join(gitRoot, owner, `${repo}.git`));
  }
  const server = await startGitHttpServer({ root: gitRoot });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await rm(gitRoot, { recursive: true, force: true });
    },
  };
}

/** Jobs as written, for workflows that did not run: each is red with the workflow's cause. */
function notRunJobs(workflow: WorkflowFile, cause: Cause): JobRecord[] {
  return Object.keys(workflow.jobs).map((key) => ({ key, conclusion: "not run", red: cause }));
}

async function runWorkflowOf(
  entry: CorpusEntry,
  branch: string,
  workflow: WorkflowFile,
  logDir: string,
): Promise<WorkflowRecord> {
  const event = eventFor(workflow);
  const base = { repo: entry.repo, file: workflow.file };
  if (!event)
    return { ...base, outcome: "out of scope", note: `on: ${workflow.events.join(", ")}`, jobs: [] };
  const temp = await mkdtemp(path.join(os.tmpdir(), "hangar-corpus-"));
  try {
    const checkout = path.join(temp, "repo");
    await mkdir(checkout);
    await checkOut(entry, branch, checkout);
    const dataDir = path.join(temp, "data");
    await mkdir(dataDir);
    for (const kept of ["tools", "actions"]) await symlink(path.join(shared, kept), path.join(dataDir, kept));
    const logFile = path.join(logDir, `${path.basename(workflow.file)}.log`);
    const outcome = await runHangar(
      [
        checkout,
        "-W",
        path.join(checkout, workflow.file),
        "--event",
        event,
        "--json",
        "--executor",
        "host",
        "--max-parallel",
        options["max-parallel"],
        "--data-dir",
        dataDir,
        "--github-url",
        githubUrl,
        // Every job on GitHub has a token; the loopback git host takes any.
        "--github-token",
        "corpus-bench-token",
      ],
      logFile,
    );
    await writeFile(logFile.replace(/\.log$/, ".json"), outcome.stdout);
    const timing = { event, durationMs: outcome.durationMs };
    const notTriggered = /: not triggered: (.*)/.exec(outcome.stderr)?.[1];
    if (notTriggered !== undefined) {
      // GitHub runs a push-triggered workflow only when its filters match; a pull_request one on opening a PR.
      const cause: Cause = {
        class: "hangar",
        cause: `${event} did not trigger the workflow`,
        detail: notTriggered,
      };
      return event === "push"
        ? { ...base, ...timing, outcome: "out of scope", note: `not triggered: ${notTriggered}`, jobs: [] }
        : {
            ...base,
            ...timing,
            outcome: "not triggered",
            note: notTriggered,
            jobs: notRunJobs(workflow, cause),
          };
    }
    if (outcome.exitCode === 2 || (outcome.exitCode === 3 && !outcome.stdout.trim())) {
      const message = outcome.stderr.trim().split("\n")[0] ?? "";
      const cause: Cause = { class: "hangar", cause: "workflow refused", detail: message.slice(0, 240) };
      return { ...base, ...timing, outcome: "refused", note: message, jobs: notRunJobs(workflow, cause) };
    }
    let result: RunResult;
    try {
      result = JSON.parse(outcome.stdout) as RunResult;
    } catch {
      const cause: Cause = outcome.killed
        ? { class: "limit", cause: "bench time limit", detail: "killed" }
        : { class: "hangar", cause: "no JSON result", detail: outcome.stderr.trim().split("\n").at(-1) };
      return { ...base, ...timing, outcome: "killed", jobs: notRunJobs(workflow, cause) };
    }
    const called = await readCalled(workflow, checkout);
    const jobs = recordJobs(workflow, result, outcome, (job) => jobLabels(workflow, job, called));
    return { ...base, ...timing, outcome: "ran", jobs };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function runEntry(entry: CorpusEntry, logRoot: string): Promise<WorkflowRecord[]> {
  const gitDir = mirrorOf(entry.repo);
  try {
    await access(gitDir);
    await git(gitDir, "cat-file", "-e", `${entry.commit}^{commit}`);
  } catch {
    throw new Error(
      `${entry.repo}@${entry.commit} is not in ${gitDir}: fetch it first (or pass --mirror DIR)`,
    );
  }
  const branch = (await git(gitDir, "symbolic-ref", "--short", "HEAD")) || "main";
  const logDir = path.join(logRoot, entry.repo.replace("/", "+"));
  await mkdir(logDir, { recursive: true });
  const records: WorkflowRecord[] = [];
  for (const workflow of await listWorkflows(entry)) {
    process.stderr.write(`corpus: ${entry.repo} ${workflow.file}\n`);
    const record = await runWorkflowOf(entry, branch, workflow, logDir);
    const red = record.jobs.filter((j) => j.red).length;
    process.stderr.write(
      `corpus:   ${record.outcome}, ${record.jobs.length - red}/${record.jobs.length} green\n`,
    );
    records.push(record);
  }
  return records;
}

function totals(records: WorkflowRecord[]) {
  const inScope = records.filter((r) => r.outcome !== "out of scope");
  const jobs = inScope.flatMap((r) => r.jobs);
  const counted = jobs.filter((j) => j.red || j.conclusion === "success");
  const red = counted.filter((j) => j.red);
  const tally = (key: (j: JobRecord) => string) => {
    const counts = new Map<string, number>();
    for (const job of red) counts.set(key(job), (counts.get(key(job)) ?? 0) + 1);
    return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
  };
  return {
    workflowsGreen: inScope.filter((r) => r.outcome === "ran" && r.jobs.every((j) => !j.red)).length,
    workflows: inScope.length,
    workflowsOutOfScope: records.length - inScope.length,
    jobsGreen: counted.length - red.length,
    jobs: counted.length,
    jobsSkippedByIf: jobs.length - counted.length,
    falseGreens: jobs.filter((j) => j.falseGreen).length,
    redByClass: tally((j) => j.red!.class),
    redByCause: tally((j) => `${j.red!.class}: ${j.red!.cause}`),
  };
}

const selected = options.only ? corpus.filter((e) => options.only!.includes(e.repo)) : corpus;
if (selected.length === 0)
  throw new Error(`--only matches no corpus entry (${corpus.map((e) => e.repo).join(", ")})`);
const resultsDir = path.join(root, "bench/results");
const logRoot = path.join(resultsDir, "corpus-logs");
await mkdir(logRoot, { recursive: true });
// Like a runner host that lives on: every workflow shares one tool cache and one action store.
const shared = await mkdtemp(path.join(os.tmpdir(), "hangar-corpus-shared-"));
await mkdir(path.join(shared, "tools"));
await mkdir(path.join(shared, "actions"));
const gitHub = options["github-url"] ? undefined : await serveMirrors();
const githubUrl = options["github-url"] ?? gitHub!.url;
const started = new Date();
const pending = [...selected];
const records: WorkflowRecord[] = [];
// One repository per worker; its workflows run one after another.
await Promise.all(
  Array.from({ length: Math.max(1, workflowRunsAtOnce) }, async () => {
    for (let entry = pending.shift(); entry; entry = pending.shift())
      records.push(...(await runEntry(entry, logRoot)));
  }),
);
await gitHub?.close();
await rm(shared, { recursive: true, force: true });
// --update: this run's repositories replace theirs in an earlier report (a re-run after a fix, or a cut-short run).
const earlier = options.update
  ? (JSON.parse(await readFile(options.update, "utf8")) as { date: string; workflows: WorkflowRecord[] })
  : undefined;
const ranRepos = new Set(selected.map((e) => e.repo));
records.push(...(earlier?.workflows.filter((r) => !ranRepos.has(r.repo)) ?? []));
records.sort((a, b) => a.repo.localeCompare(b.repo) || a.file.localeCompare(b.file));
const { stdout: hangarCommit } = await execFileAsync("git", ["-C", root, "rev-parse", "HEAD"]);
const report = {
  date: earlier?.date ?? started.toISOString(),
  ...(earlier ? { updated: { date: started.toISOString(), repositories: [...ranRepos] } } : {}),
  hangarCommit: hangarCommit.trim(),
  machine: {
    node: process.version,
    cpus: os.availableParallelism(),
    platform: `${os.platform()}-${os.arch()}`,
  },
  settings: { maxParallel: Number(options["max-parallel"]), timeoutMinutes: timeoutMs / 60_000 },
  repositories: corpus
    .filter((e) => ranRepos.has(e.repo) || earlier?.workflows.some((r) => r.repo === e.repo))
    .map(({ repo, commit }) => ({ repo, commit })),
  totals: totals(records),
  workflows: records,
};
const out =
  options.out ?? path.join(resultsDir, `corpus-${started.toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(out, JSON.stringify(report, null, 2) + "\n");
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
process.stderr.write(`corpus: report in ${out}, logs in ${logRoot}\n`);
