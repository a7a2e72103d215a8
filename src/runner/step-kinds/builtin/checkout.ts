// Built-in actions/checkout: the run's commit into the workspace with git, offline, from the job's source repository.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { FileAgentRefusal } from "../../job-files/job-file-agent.js";
import { readTreeEntries } from "../../job-files/read-tree-entries.js";
import { RunnerError } from "../../runner-error.js";
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
  const relative = path.relative(job.dirs.workspace, target);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    return failedStepResult(`actions/checkout: path '${inputs["path"]}' is outside the workspace`);
  }
  const depth = Number(inputs["fetch-depth"] ?? "1");
  if (!Number.isInteger(depth) || depth < 0) {
    return failedStepResult(
      `actions/checkout: fetch-depth must be a whole number, got '${inputs["fetch-depth"]}'`,
    );
  }

  // A local run's workspace is the user's own checkout (or an isolating executor's copy of it): never switched.
  const isLocalCheckout =
    job.givenWorkspace !== undefined &&
    path.resolve(job.givenWorkspace) === path.resolve(source) &&
    path.resolve(target) === path.resolve(job.dirs.workspace);
  if (isLocalCheckout) {
    const head = await headOf(source);
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

  // Fetched into a fresh directory of the runner's own (git never runs in a directory the job could have written: a
  // planted .git/config runs commands through hooks, fsmonitor or filters), then written into the workspace by the
  // file agent, as the job: like actions/checkout's default clean: true, whatever the target held is replaced.
  const staging = await mkdtemp(path.join(os.tmpdir(), "hangar-checkout-"));
  try {
    await git(staging, ["init", "-q"]);
    // A path is fetched as file:// so that --depth works on it; a URL (https://, ssh, git@host:) as given.
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/]+@[^:/]+:/.test(source);
    const from = isUrl ? source : `file://${path.resolve(source)}`;
    const fetchArgs = ["fetch", "-q", "--no-tags", ...(depth > 0 ? [`--depth=${depth}`] : []), from, wanted];
    await git(staging, fetchArgs);
    await git(staging, ["checkout", "-q", "--force", "FETCH_HEAD"]);
    const commit = await git(staging, ["rev-parse", "HEAD"]);
    await job.files.call(
      { op: "write", target, bases: {}, replace: true },
      { env: run.env, signal: run.signal, timeoutMs: run.timeoutMs, entries: readTreeEntries(staging) },
    );
    run.onLine({
      stream: "stdout",
      text: `checked out ${wanted} (${commit}) into ${relative || "."}`,
    });
    return emptyStepResult("success", { ref: wanted, commit });
  } catch (error) {
    if (error instanceof FileAgentRefusal || error instanceof RunnerError) {
      return failedStepResult(`actions/checkout: ${error.message}`);
    }
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return failedStepResult(
      `actions/checkout: git could not check out '${wanted}': ${stderr || (error as Error).message}`,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
