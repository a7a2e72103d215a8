// Test fixture for runner tests: a real HostExecutor in a temp base dir, and a helper running one script step.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { HostExecutor, Masker, runScriptStep } from "../../src/runner/index.js";
import { isOwnerAlive } from "../../src/runner/process-owner.js";
import type {
  Executor,
  JobDirectories,
  LogLine,
  PrepareJobSpec,
  ScriptStepSpec,
  StepResult,
} from "../../src/runner/index.js";

export interface StepFixture {
  executor: Executor;
  dirs: JobDirectories;
  dispose(): Promise<void>;
}

/** A HostExecutor in a temp base dir unless `makeExecutor` gives another executor for that base dir. */
export async function createStepFixture(
  makeExecutor: (baseDir: string) => Executor = (baseDir) => new HostExecutor({ baseDir }),
  prepare: Partial<PrepareJobSpec> = {},
): Promise<StepFixture> {
  const baseDir = await mkdtemp(join(tmpdir(), "hangar-runner-test-"));
  const executor = makeExecutor(baseDir);
  const dirs = await executor.prepare({ runId: "run-1", jobKey: "build", ...prepare });
  return {
    executor,
    dirs,
    async dispose() {
      await executor.cleanup(dirs);
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}

export interface StepRun {
  result: StepResult;
  lines: LogLine[];
  /** Texts of non-system lines, in order. */
  texts: string[];
  /** Everything any sink received, joined, to search for leaked secrets. */
  allText: string;
}

export async function runStep(
  fixture: StepFixture,
  script: string,
  options: Partial<Omit<ScriptStepSpec, "script" | "dirs">> = {},
): Promise<StepRun> {
  const lines: LogLine[] = [];
  const result = await runScriptStep({
    script,
    workingDirectory: fixture.dirs.workspace,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
    signal: new AbortController().signal,
    dirs: fixture.dirs,
    executor: fixture.executor,
    masker: new Masker(),
    onLine: (line) => lines.push(line),
    ...options,
  });
  const texts = lines.filter((l) => l.stream !== "system" && !l.annotation).map((l) => l.text);
  const allText = JSON.stringify({ lines, result });
  return { result, lines, texts, allText };
}

/**
 * Shell that prints the last background process as `child=<pid>:<start time>`. A pid alone may be reused before the
 * test looks again: this host's pid_max is 32768, and the escape tests' fork bombs cycle through it in seconds.
 */
export const printBackgroundChild = 'echo "child=$!:$(cut -d" " -f22 /proc/$!/stat)"';

/** Whether the child that printBackgroundChild printed still runs (a zombie does not count). */
export function isPrintedChildAlive(output: string): boolean {
  const match = /child=(\d+):(\d+)/.exec(output);
  assert.ok(match, `no child=<pid>:<start time> line in ${output}`);
  return isOwnerAlive({ pid: Number(match[1]), pidStartTime: Number(match[2]) });
}

/**
 * What ExecSpec.stdin promises, on any executor: every byte of a multi-MiB stream arrives in order; a process that
 * exits without reading ends the exec with its own exit code; without stdin the process reads an empty input.
 */
export async function assertStdinContract(job: StepFixture, path = "/usr/bin:/bin"): Promise<void> {
  const exec = async (script: string, stdin?: Readable) => {
    let stdout = "";
    const result = await job.executor.exec(
      {
        job: job.dirs,
        command: "sh",
        args: ["-c", script],
        cwd: job.dirs.workspace,
        env: { PATH: path },
        stdin,
      },
      (chunk, stream) => {
        if (stream === "stdout") stdout += chunk.toString();
      },
    );
    return { result, stdout: stdout.trim() };
  };
  const bytes = randomBytes(6 * 1024 * 1024);
  const digested = await exec("sha256sum | cut -d' ' -f1", Readable.from(chunksOf(bytes, 100_000)));
  assert.equal(digested.stdout, createHash("sha256").update(bytes).digest("hex"));

  const unread = await exec("exit 4", Readable.from(chunksOf(Buffer.alloc(32 * 1024 * 1024), 1 << 16)));
  assert.equal(unread.result.exitCode, 4);

  const empty = await exec("wc -c");
  assert.equal(empty.stdout, "0");
}

function* chunksOf(bytes: Buffer, size: number): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}
