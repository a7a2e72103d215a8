// Runs the real `hangar` CLI from source in a child process, as a user would, and captures its streams.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run that takes longer than this is killed, so a test that would wait forever fails instead. */
const defaultTimeoutMs = 180_000;

export function runHangar(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", path.join(root, "scripts/register.mjs"), path.join(root, "src/cli/bin.ts"), ...args],
      {
        cwd: options.cwd ?? root,
        env: { ...process.env, NO_COLOR: "1", ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[test] hangar ${args.join(" ")} was killed after ${options.timeoutMs ?? defaultTimeoutMs} ms\n`;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? defaultTimeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
