// The hashFiles() expression function: GitHub's algorithm over @actions/glob, run in a child process with the workspace as its cwd.
import { execFile } from "node:child_process";
import { RunnerError } from "./runner-error.js";

/** The runner gives up after this long (runner: HashFilesFunction). */
export const hashFilesTimeoutMs = 120_000;

const followSymbolicLinksOption = "--follow-symbolic-links";

/**
 * The runner's hashFiles script (actions/runner src/Misc/expressionFunc/hashFiles): sha256 of each
 * matched regular file under the workspace, in glob order, then sha256 over those digests. It runs
 * in a child process, as on GitHub, because @actions/glob resolves relative patterns against
 * process.cwd() and writes `::debug::` lines to process.stdout, which in hangar carries results.
 */
const hashScript = `
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { sep } from "node:path";
import { pipeline } from "node:stream/promises";
const glob = await import(process.env.HANGAR_GLOB_MODULE);
const workspace = process.cwd();
const result = createHash("sha256");
let count = 0;
const globber = await glob.create(process.env.HANGAR_PATTERNS, {
  followSymbolicLinks: process.env.HANGAR_FOLLOW_SYMBOLIC_LINKS === "true",
});
for await (const file of globber.globGenerator()) {
  if (!file.startsWith(workspace + sep)) continue;
  if (statSync(file).isDirectory()) continue;
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  result.write(hash.digest());
  count++;
}
result.end();
process.stderr.write("__OUTPUT__" + (count > 0 ? result.digest("hex") : "") + "__OUTPUT__\\n");
`;

/**
 * `hashFiles(...patterns)` (docs: "Expressions", hashFiles): a hex sha256, or "" when no file
 * matches. A first pattern `--follow-symbolic-links` makes the glob follow symlinks, as on GitHub.
 * Rejects with RunnerError RUNNER_HASH_FILES_FAILED on an invalid option, pattern or read error.
 */
export async function hashFiles(workspace: string, patterns: string[]): Promise<string> {
  let followSymbolicLinks = false;
  let globPatterns = patterns;
  if (patterns[0]?.startsWith("--")) {
    if (patterns[0].toLowerCase() !== followSymbolicLinksOption) {
      throw new RunnerError(
        "RUNNER_HASH_FILES_FAILED",
        `Invalid glob option ${patterns[0]}, available option: '${followSymbolicLinksOption}'.`,
      );
    }
    followSymbolicLinks = true;
    globPatterns = patterns.slice(1);
  }
  const described = `hashFiles('${globPatterns.join(", ")}')`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HANGAR_GLOB_MODULE: import.meta.resolve("@actions/glob"),
    HANGAR_PATTERNS: globPatterns.join("\n"),
    HANGAR_FOLLOW_SYMBOLIC_LINKS: String(followSymbolicLinks),
  };
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "--eval", hashScript],
      { cwd: workspace, env, timeout: hashFilesTimeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderrText) => {
        if (error) {
          const detail = stderrText.trim().split("\n").slice(-3).join(" ") || error.message;
          reject(
            new RunnerError(
              "RUNNER_HASH_FILES_FAILED",
              `${described} failed. Fail to hash files under directory '${workspace}': ${detail}`,
              { cause: error },
            ),
          );
        } else resolve(stderrText);
      },
    );
  });
  const match = /__OUTPUT__([0-9a-f]*)__OUTPUT__/.exec(stderr);
  if (!match) {
    throw new RunnerError("RUNNER_HASH_FILES_FAILED", `${described} produced no result under '${workspace}'`);
  }
  return match[1];
}
