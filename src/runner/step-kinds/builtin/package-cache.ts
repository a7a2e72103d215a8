// The package managers' caches setup-node and setup-python keep on hangar's cache store: restored under a key when
// the step runs, saved after the job (post-if: success(), as both actions' action.yml) unless the key was an exact hit.
import type { StepRun } from "../step-kind.js";
import { cacheFilesOf, saveCache } from "./cache.js";
import { findOnJobPath } from "./setup-tool.js";

/** Runs a command as the job's processes would (the job's PATH), giving its trimmed stdout. */
export async function commandOutput(
  run: StepRun,
  env: Record<string, string>,
  argv: string[],
): Promise<string> {
  const [name, ...args] = argv as [string, ...string[]];
  const { executor } = run.job;
  const command = findOnJobPath(run, name, env["PATH"]);
  if (!command) throw new Error(`${name} is not on the job's PATH`);
  let stdout = "";
  const result = await executor.exec(
    { job: run.job.dirs, command, args, cwd: run.job.dirs.workspace, env, signal: run.signal },
    (chunk, stream) => {
      if (stream === "stdout") stdout += chunk.toString("utf8");
    },
  );
  if (result.exitCode !== 0) throw new Error(`'${argv.join(" ")}' failed with exit code ${result.exitCode}`);
  return stdout.trim();
}

/** Restores `paths` under `primaryKey` (else a restore key's entry) and registers the post step that saves them. */
export async function restorePackageCache(
  run: StepRun,
  options: { manager: string; primaryKey: string; restoreKeys: string[]; paths: string[] },
): Promise<{ matchedKey?: string }> {
  const { primaryKey } = options;
  const paths = options.paths.join("\n");
  const restored = await run.job.content.restoreCache({
    key: primaryKey,
    restoreKeys: options.restoreKeys,
    paths,
    ...cacheFilesOf(run),
    lookupOnly: false,
  });
  run.onLine({
    stream: "stdout",
    text: restored.matchedKey
      ? `Cache restored from key: ${restored.matchedKey}`
      : `${options.manager} cache is not found`,
  });
  if (restored.matchedKey !== primaryKey) {
    run.job.registerPost({
      name: run.ref.name.replace(/^Run /, ""),
      stepId: run.step.id,
      condition: "success()",
      run: (_signal, onLine) => saveCache(run, primaryKey, paths, onLine),
    });
  }
  return restored.matchedKey ? { matchedKey: restored.matchedKey } : {};
}
