// Runs the real `hangar` CLI (the bundle `npm run build` makes of src/) in a child process, as a user would, and
// captures its streams.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const builtFiles = ["dist/hangar.js", "dist/workflow-worker.js", "dist/file-agent.mjs"];
let checkedBuild: string[] | undefined;

/**
 * `node bin/hangar.js` and its arguments, once dist/ is known to be built from the sources as they are: `npm test`
 * builds first; a test file run on its own after an edit is told to build rather than test yesterday's bundle.
 */
export function hangarCommand(): string[] {
  if (!checkedBuild) {
    const newestSource = Math.max(
      ...readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" }).map(
        (file) => statSync(path.join(root, "src", file)).mtimeMs,
      ),
    );
    for (const file of builtFiles) {
      const built = statSync(path.join(root, file), { throwIfNoEntry: false });
      if (!built || built.mtimeMs < newestSource)
        throw new Error(`${file} is ${built ? "older than src/" : "missing"}: run 'npm run build' first`);
    }
    checkedBuild = [path.join(root, "bin/hangar.js")];
  }
  return checkedBuild;
}

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
    const child = spawn(process.execPath, [...hangarCommand(), ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
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
