// Test fixture for runner tests: a real HostExecutor in a temp base dir, and a helper running one script step.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostExecutor, Masker, runScriptStep } from "../../src/runner/index.js";
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

/** True while /proc shows the process and it is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
