// Built-in actions/checkout: the run's commit into the workspace with git, offline, from the job's source repository.
import { execFile } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";

const execFileAsync = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", ["-C", cwd, ...args]);
  return stdout.trim();
}

async function headOf(dir: string): Promise<string | undefined> {
  return git(dir, ["rev-parse", "HEAD"]).catch(() => undefined);
}

/** Inputs per actions/checkout v4: path, ref, fetch-depth (0 = all history), clean. */
export async function runCheckout(run: StepRun): Promise<StepResult> {
  const { job, inputs } = run;
  const source = job.sourceRepository;
  if (!source) return failedStepResult("actions/checkout: this job has no source repository to check out");
  const github = run.contexts["github"] as Record<string, string> | undefined;
  const wanted = inputs["ref"] || github?.["sha"] || "HEAD";
  const target = path.resolve(job.dirs.workspace, inputs["path"] ?? "");
  if (!target.startsWith(job.dirs.workspace)) {
    return failedStepResult(`actions/checkout: path '${inputs["path"]}' is outside the workspace`);
  }
  const depth = Number(inputs["fetch-depth"] ?? "1");
  if (!Number.isInteger(depth) || depth < 0) {
    return failedStepResult(
      `actions/checkout: fetch-depth must be a whole number, got '${inputs["fetch-depth"]}'`,
    );
  }

  // A local run's workspace is the user's own checkout: it is never switched under them.
  if (path.resolve(target) === path.resolve(source)) {
    const head = await headOf(target);
    const wantedSha = await git(source, ["rev-parse", "--verify", `${wanted}^{commit}`]).catch(
      () => undefined,
    );
    if (head && wantedSha && head !== wantedSha) {
      run.onLine({
        stream: "system",
        text: `the workspace is your checkout at ${head}; not switching it to ${wantedSha}`,
      });
    } else {
      run.onLine({
        stream: "stdout",
        text: `workspace is already at ${head ?? wanted}; nothing to check out`,
      });
    }
    return emptyStepResult("success", { ref: wanted, commit: head ?? "" });
  }

  await mkdir(target, { recursive: true });
  const existing = await readdir(target);
  if (existing.length > 0 && !(await headOf(target))) {
    return failedStepResult(`actions/checkout: ${target} is not empty and not a git repository`);
  }
  try {
    if (existing.length === 0) await git(target, ["init", "-q"]);
    // A path is fetched as file:// so that --depth works on it; a URL (https://, ssh, git@host:) as given.
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/]+@[^:/]+:/.test(source);
    const from = isUrl ? source : `file://${path.resolve(source)}`;
    const fetchArgs = ["fetch", "-q", "--no-tags", ...(depth > 0 ? [`--depth=${depth}`] : []), from, wanted];
    await git(target, fetchArgs);
    await git(target, ["checkout", "-q", "--force", "FETCH_HEAD"]);
    const commit = await git(target, ["rev-parse", "HEAD"]);
    run.onLine({
      stream: "stdout",
      text: `checked out ${wanted} (${commit}) into ${path.relative(job.dirs.workspace, target) || "."}`,
    });
    return emptyStepResult("success", { ref: wanted, commit });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return failedStepResult(
      `actions/checkout: git could not check out '${wanted}': ${stderr || (error as Error).message}`,
    );
  }
}
