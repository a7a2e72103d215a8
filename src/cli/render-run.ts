// Renders a run's events as live lines on stderr and the final job table; colour only on a TTY without NO_COLOR.
import type { JobRef, JobSummary, RunHandle, RunResult } from "../engine/index.js";

export interface RenderOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  color: boolean;
  showDebug: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
type Color = keyof typeof codes;
const jobColors: Color[] = ["cyan", "magenta", "blue", "yellow", "green"];

export function shouldUseColor(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && process.env["NO_COLOR"] === undefined;
}

export function attachRenderer(handle: RunHandle, options: RenderOptions): void {
  const paint = (color: Color, text: string) =>
    options.color ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
  const labelColors = new Map<string, Color>();
  const groupDepth = new Map<string, number>();
  let labelWidth = 0;
  const label = (job: JobRef) => {
    if (!labelColors.has(job.key)) labelColors.set(job.key, jobColors[labelColors.size % jobColors.length]!);
    labelWidth = Math.max(labelWidth, job.key.length);
    return paint(labelColors.get(job.key)!, `[${job.key.padEnd(labelWidth)}]`);
  };
  const write = (job: JobRef, text: string) => options.stream.write(`${label(job)} ${text}\n`);

  handle.on("run:started", ({ workflow, event }) => {
    options.stream.write(paint("bold", `▶ ${workflow} (${event})`) + "\n");
  });
  handle.on("job:started", ({ job }) => write(job, paint("bold", `🚀 job ${job.name}`)));
  handle.on("step:started", ({ step }) => write(step.job, paint("gray", `⭐ ${step.name}`)));
  handle.on("step:finished", ({ step, conclusion, outcome, durationMs, message }) => {
    if (conclusion === "skipped") return write(step.job, paint("gray", `⏭  ${step.name} (skipped)`));
    const failedButContinued = outcome === "failure" && conclusion === "success";
    const mark =
      conclusion === "success"
        ? failedButContinued
          ? paint("yellow", "⚠")
          : paint("green", "✅")
        : paint("red", "❌");
    const note = failedButContinued
      ? " (failed, continue-on-error)"
      : conclusion === "success"
        ? ""
        : ` (${conclusion})`;
    write(
      step.job,
      `${mark} ${step.name}${note} [${formatDuration(durationMs)}]${message ? ` ${paint("red", message)}` : ""}`,
    );
  });
  handle.on("log:line", ({ job, line }) => {
    const depth = groupDepth.get(job.key) ?? 0;
    if (line.group === "start") {
      write(job, `${"  ".repeat(depth)}${paint("bold", `▼ ${line.text}`)}`);
      groupDepth.set(job.key, depth + 1);
      return;
    }
    if (line.group === "end") {
      groupDepth.set(job.key, Math.max(0, depth - 1));
      return;
    }
    if (line.debug && !options.showDebug) return;
    const indent = "  ".repeat(depth);
    if (line.annotation) {
      const a = line.annotation;
      const where = a.file ? ` ${a.file}${a.line ? `:${a.line}` : ""}${a.col ? `:${a.col}` : ""}` : "";
      const color: Color = a.level === "error" ? "red" : a.level === "warning" ? "yellow" : "blue";
      return write(
        job,
        `${indent}${paint(color, `${a.level}${where}: ${a.title ? `${a.title}: ` : ""}${a.message}`)}`,
      );
    }
    const text =
      line.stream === "system"
        ? paint("yellow", line.text)
        : line.debug
          ? paint("gray", `debug: ${line.text}`)
          : line.text;
    write(job, `${indent}| ${text}`);
  });
  handle.on("job:finished", ({ job, conclusion, message }) => {
    if (conclusion === "skipped")
      return write(job, paint("gray", `job ${job.name} skipped${message ? `: ${message}` : ""}`));
    const color: Color = conclusion === "success" ? "green" : "red";
    write(job, paint(color, `🏁 job ${job.name}: ${conclusion}${message ? ` — ${message}` : ""}`));
  });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** The final table: one row per job instance. */
export function formatRunTable(result: RunResult): string {
  const rows = result.jobs.map((job) => [
    job.key,
    job.continuedOnError ? "failure (continue-on-error)" : job.conclusion,
    job.conclusion === "skipped" ? "-" : formatDuration(job.durationMs),
    reasonOf(job),
  ]);
  const header = ["JOB", "CONCLUSION", "DURATION", "REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    `${result.workflow}: ${result.conclusion} in ${formatDuration(result.durationMs)}`,
    line(header),
    ...rows.map(line),
  ].join("\n");
}

/** Why a job did not succeed: its stop reason and the first line of its message (the first failing step, exit code). */
function reasonOf(job: JobSummary): string {
  const firstLine = job.message?.split("\n")[0];
  return [job.reason, firstLine].filter(Boolean).join(": ");
}

/** Each job's GITHUB_STEP_SUMMARY, shown after the table as GitHub shows it on the run's page: Markdown as text. */
export function formatJobSummaries(result: RunResult): string {
  return result.jobs
    .filter((job) => job.summary?.trim())
    .map((job) => `── summary of ${job.key} ──\n${job.summary!.trimEnd()}`)
    .join("\n\n");
}
