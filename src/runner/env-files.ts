// GitHub's environment files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY): creating them per step and parsing what a step wrote.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { anchorInJob } from "./job-files/job-anchor.js";
import { createFileBeneath, readFileBeneath, removeFileBeneath } from "./job-files/open-beneath.js";
import { RunnerError } from "./runner-error.js";
import type { JobDirectories } from "./types.js";

/** The environment variable names, and the file name prefixes the runner uses. A contract with user scripts. */
export const envFileKinds = {
  output: { variable: "GITHUB_OUTPUT", prefix: "set_output_" },
  env: { variable: "GITHUB_ENV", prefix: "set_env_" },
  path: { variable: "GITHUB_PATH", prefix: "add_path_" },
  state: { variable: "GITHUB_STATE", prefix: "save_state_" },
  summary: { variable: "GITHUB_STEP_SUMMARY", prefix: "step_summary_" },
} as const;

export type EnvFileKind = keyof typeof envFileKinds;
export type EnvFilePaths = Record<EnvFileKind, string>;

/** Larger summaries are rejected with an error, as on GitHub (runner: CreateStepSummaryCommand). */
export const stepSummaryLimitBytes = 1024 * 1024;

export interface EnvFileProblem {
  /** The variable naming the file, e.g. GITHUB_OUTPUT. */
  file: string;
  /** 1-based line of the entry that could not be read. */
  line: number;
  message: string;
}

/** Pairs read before a problem still apply, as the runner applies each pair as it reads it. */
export interface KeyValueParse {
  pairs: Array<[string, string]>;
  problem?: EnvFileProblem;
}

/** Larger env files are refused rather than read into the runner's memory; GitHub's own limits are far below. */
export const envFileLimitBytes = 64 * 1024 * 1024;

/**
 * Creates fresh empty files for one step in the job's file-commands dir and returns their paths. The job may have
 * changed that dir in an earlier step, so every access goes through open-beneath: no link is followed.
 */
export async function createEnvFiles(dirs: JobDirectories): Promise<EnvFilePaths> {
  const suffix = randomUUID();
  const paths = {} as EnvFilePaths;
  for (const [kind, { prefix }] of Object.entries(envFileKinds) as Array<[EnvFileKind, { prefix: string }]>) {
    paths[kind] = join(dirs.fileCommands, prefix + suffix);
    const { anchor, relative } = anchorInJob(dirs, paths[kind]);
    await createFileBeneath(anchor, relative, "");
  }
  return paths;
}

/** The variables a step's process needs to find its files. */
export function getEnvFileVariables(paths: EnvFilePaths): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const kind of Object.keys(envFileKinds) as EnvFileKind[])
    variables[envFileKinds[kind].variable] = paths[kind];
  return variables;
}

/** Best effort: where the job replaced its file-commands dir, what is left goes with the job's root. */
export async function removeEnvFiles(dirs: JobDirectories, paths: EnvFilePaths): Promise<void> {
  for (const path of Object.values(paths)) {
    const { anchor, relative } = anchorInJob(dirs, path);
    await removeFileBeneath(anchor, relative).catch((error: unknown) => {
      if (!(error instanceof RunnerError)) throw error;
    });
  }
}

/**
 * Reads a file the step may have deleted; a missing file counts as empty, as on GitHub. A link or special file in its
 * place is refused (RunnerError RUNNER_PATH_OUTSIDE_JOB): the runner reads it with rights the job does not have.
 */
export async function readEnvFile(dirs: JobDirectories, kind: EnvFileKind, path: string): Promise<string> {
  const { anchor, relative } = anchorInJob(dirs, path);
  const contents = await readFileBeneath(anchor, relative, {
    maxBytes: envFileLimitBytes,
    describe: `$${envFileKinds[kind].variable}`,
  });
  return contents?.toString("utf8") ?? "";
}

interface TextLine {
  text: string;
  /** The line ending that followed, or undefined for a final line without one. */
  newline: string | undefined;
}

/**
 * Lines as the runner's EnvFileKeyValuePairs reads them: only "\n" ends a line except on Windows,
 * where "\r\n" does too. On Linux and macOS a "\r" stays part of the value, so a heredoc closed
 * by "EOF\r\n" does not match the delimiter "EOF".
 */
function splitTextLines(text: string, isCrlfNewline: boolean): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  while (start < text.length) {
    const lf = text.indexOf("\n", start);
    if (lf < 0) {
      lines.push({ text: text.slice(start), newline: undefined });
      break;
    }
    if (isCrlfNewline && lf > start && text[lf - 1] === "\r") {
      lines.push({ text: text.slice(start, lf - 1), newline: "\r\n" });
    } else {
      lines.push({ text: text.slice(start, lf), newline: "\n" });
    }
    start = lf + 1;
  }
  return lines;
}

/**
 * Parses GITHUB_OUTPUT, GITHUB_ENV or GITHUB_STATE (docs: "Workflow commands", "Environment files"):
 * `NAME=VALUE` lines and `NAME<<DELIMITER` heredocs; empty lines are skipped. Stops at the first
 * problem, like the runner, naming the file and the 1-based line. Hand-written because dotenv
 * parsers follow other quoting and heredoc rules than the runner's EnvFileKeyValuePairs.
 */
export function parseKeyValueFile(
  text: string,
  file: string,
  isCrlfNewline = process.platform === "win32",
): KeyValueParse {
  const lines = splitTextLines(text, isCrlfNewline);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < lines.length; i++) {
    const { text: line } = lines[i];
    if (line === "") continue;
    const problem = (message: string): KeyValueParse => ({ pairs, problem: { file, line: i + 1, message } });
    const equals = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      if (equals === 0) return problem(`Invalid format '${line}'. Name must not be empty`);
      pairs.push([line.slice(0, equals), line.slice(equals + 1)]);
      continue;
    }
    if (heredoc < 0) return problem(`Invalid format '${line}'`);
    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    if (name === "" || delimiter === "") {
      return problem(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
    }
    const valueLines: TextLine[] = [];
    let closing = i + 1;
    for (; closing < lines.length && lines[closing].text !== delimiter; closing++) {
      if (lines[closing].newline === undefined) {
        return problem(
          `Invalid value. EOF marker missing new line.${describeCarriageReturn(lines[closing].text, delimiter)}`,
        );
      }
      valueLines.push(lines[closing]);
    }
    if (closing >= lines.length) {
      const hint =
        valueLines.map((l) => describeCarriageReturn(l.text, delimiter)).find((h) => h !== "") ?? "";
      return problem(`Invalid value. Matching delimiter not found '${delimiter}'${hint}`);
    }
    // The value excludes the line ending right before the delimiter line.
    const value = valueLines.map((l, n) => l.text + (n < valueLines.length - 1 ? l.newline : "")).join("");
    pairs.push([name, value]);
    i = closing;
  }
  return { pairs };
}

function describeCarriageReturn(line: string, delimiter: string): string {
  return line === `${delimiter}\r`
    ? " (the delimiter line ends with \\r: write the file with \\n line endings)"
    : "";
}

/**
 * GITHUB_PATH: one directory per line, empty lines skipped (runner: AddPathFileCommand, which reads
 * with File.ReadAllLines and so splits on "\n", "\r\n" and "\r"). Returned latest first, without
 * duplicates, because later entries are prepended in front of earlier ones.
 */
export function parsePathFile(text: string): string[] {
  const added: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") continue;
    const existing = added.indexOf(line);
    if (existing >= 0) added.splice(existing, 1);
    added.push(line);
  }
  return added.reverse();
}
