// Built-in actions/cache (restore now, save in a post step), actions/cache/restore and actions/cache/save.
import type { CacheFiles } from "../../content-store/index.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";

/** The job's files as the cache step sees them: through the file agent, with the step's HOME and signal. */
export function cacheFilesOf(run: StepRun): CacheFiles {
  const { dirs } = run.job;
  return {
    files: run.job.files.access({ env: run.env, signal: run.signal, timeoutMs: run.timeoutMs }),
    dirs: { workspace: dirs.workspace, temp: dirs.temp, toolCache: dirs.toolCache },
  };
}

function restoreKeysOf(value: string | undefined): string[] {
  return (value ?? "")
    .split("\n")
    .map((key) => key.trim())
    .filter(Boolean);
}

async function restore(run: StepRun, action: string): Promise<StepResult & { exactHit: boolean }> {
  const { inputs, job } = run;
  const key = inputs["key"] ?? "";
  if (!key || !inputs["path"]) {
    return {
      ...failedStepResult(`${action}: Input required and not supplied: ${key ? "path" : "key"}`),
      exactHit: false,
    };
  }
  try {
    const result = await job.content.restoreCache({
      key,
      restoreKeys: restoreKeysOf(inputs["restore-keys"]),
      paths: inputs["path"],
      ...cacheFilesOf(run),
      lookupOnly: inputs["lookup-only"] === "true",
    });
    const outputs = {
      "cache-hit": String(result.hit),
      "cache-primary-key": key,
      "cache-matched-key": result.matchedKey ?? "",
    };
    if (!result.matchedKey) {
      const message = `Cache not found for input keys: ${[key, ...restoreKeysOf(inputs["restore-keys"])].join(", ")}`;
      if (inputs["fail-on-cache-miss"] === "true")
        return { ...failedStepResult(message), outputs, exactHit: false };
      run.onLine({ stream: "stdout", text: message });
    } else {
      run.onLine({ stream: "stdout", text: `Cache restored from key: ${result.matchedKey}` });
    }
    return { ...emptyStepResult("success", outputs), exactHit: result.hit };
  } catch (error) {
    return { ...failedStepResult(`${action}: ${(error as Error).message}`), exactHit: false };
  }
}

export async function saveCache(
  run: StepRun,
  key: string,
  paths: string,
  onLine: StepRun["onLine"],
): Promise<StepResult> {
  try {
    const result = await run.job.content.saveCache({ key, paths, ...cacheFilesOf(run) });
    // Per actions/cache, failing to save only warns: it never fails the job.
    const text = result.saved
      ? `Cache saved with key: ${key}`
      : (result.message ?? `Cache not saved for key: ${key}`);
    onLine({
      stream: "system",
      text,
      ...(result.saved ? {} : { annotation: { level: "warning" as const, message: text } }),
    });
    return emptyStepResult("success");
  } catch (error) {
    const text = `Failed to save cache: ${(error as Error).message}`;
    onLine({ stream: "system", text, annotation: { level: "warning", message: text } });
    return emptyStepResult("success");
  }
}

export async function runCache(run: StepRun): Promise<StepResult> {
  const restored = await restore(run, "actions/cache");
  if (restored.outcome === "success" && !restored.exactHit && run.inputs["lookup-only"] !== "true") {
    const { key = "", path = "" } = run.inputs;
    // actions/cache's post step runs `if: success()` unless save-always is set.
    run.job.registerPost({
      name: run.ref.name.replace(/^Run /, ""),
      stepId: run.step.id,
      condition: run.inputs["save-always"] === "true" ? "always()" : "success()",
      run: (_signal, onLine) => saveCache(run, key, path, onLine),
    });
  }
  return { ...restored };
}

export function runCacheRestore(run: StepRun): Promise<StepResult> {
  return restore(run, "actions/cache/restore");
}

export async function runCacheSave(run: StepRun): Promise<StepResult> {
  const { key, path } = run.inputs;
  if (!key || !path)
    return failedStepResult(`actions/cache/save: Input required and not supplied: ${key ? "path" : "key"}`);
  return saveCache(run, key, path, run.onLine);
}
