// Test fixture for sandbox tests: a real SandboxExecutor (bwrap, cgroups) in a temp base dir, and jobs prepared in it as StepFixtures.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandboxExecutor } from "../../src/runner/index.js";
import type { PrepareJobSpec, SandboxExecutor, SandboxExecutorOptions } from "../../src/runner/index.js";
import type { StepFixture } from "./step-fixture.js";

export interface SandboxHarness {
  executor: SandboxExecutor;
  baseDir: string;
  /** A prepared job; disposing it runs the executor's cleanup. Jobs not disposed are cleaned up at the end. */
  prepareJob(spec?: Partial<PrepareJobSpec>): Promise<StepFixture>;
}

/** Runs `body` with an executor in `options.baseDir` (removed afterwards) or a fresh temp dir. */
export async function withSandbox(
  options: Partial<SandboxExecutorOptions>,
  body: (sandbox: SandboxHarness) => Promise<void>,
): Promise<void> {
  const baseDir = options.baseDir ?? (await mkdtemp(join(tmpdir(), "hangar-sandbox-test-")));
  const disposers = new Set<() => Promise<void>>();
  try {
    const executor = await createSandboxExecutor({ ...options, baseDir });
    let jobNumber = 0;
    await body({
      executor,
      baseDir,
      async prepareJob(spec = {}) {
        const dirs = await executor.prepare({ runId: "run-1", jobKey: `job-${++jobNumber}`, ...spec });
        const dispose = (): Promise<void> => executor.cleanup(dirs);
        disposers.add(dispose);
        return { executor, dirs, dispose };
      },
    });
  } finally {
    for (const dispose of disposers) await dispose();
    await rm(baseDir, { recursive: true, force: true });
  }
}

/** Host pids in a job's cgroup, read from the host side. */
export async function readCgroupMembers(cgroupDir: string): Promise<number[]> {
  const text = await readFile(join(cgroupDir, "cgroup.procs"), "utf8");
  return text.split("\n").filter(Boolean).map(Number);
}
