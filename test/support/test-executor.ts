// The executor engine tests run on: the host by default, or the one HANGAR_TEST_EXECUTOR names, so the same suite
// proves the engine never knows which executor runs its jobs (`npm test` runs it again on the sandbox).
import {
  createSandboxExecutor,
  HostExecutor,
  parseExecutorKind,
  type Executor,
} from "../../src/runner/index.js";

export const testExecutorKind = parseExecutorKind(
  process.env["HANGAR_TEST_EXECUTOR"] ?? "host",
  "HANGAR_TEST_EXECUTOR",
);

export async function createTestExecutor(baseDir: string): Promise<Executor> {
  if (testExecutorKind === "host") return new HostExecutor({ baseDir });
  if (testExecutorKind === "sandbox") return createSandboxExecutor({ baseDir });
  throw new Error("HANGAR_TEST_EXECUTOR=microvm: the microVM suite is test/runner/microvm-*.test.ts");
}
