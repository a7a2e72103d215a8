// Built-in actions/setup-go: the Go the step asks for from the shared tool cache (filled by the runner from this
// machine's Go or a go.dev/dl mirror), GOPATH/bin on PATH, and the module and build caches on the cache store.
import os from "node:os";
import path from "node:path";
import semver from "semver";
import { FileAgentRefusal } from "../../job-files/job-file-agent.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import { goSemver, goSourcesFor, goVersionOfOutput, readGoVersionFile, setUpGo } from "../../tools/index.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";
import { commandOutput, restorePackageCache } from "./package-cache.js";
import { readVersionFile, toolSourcesForJob, useJobsOwnTool, warn } from "./setup-tool.js";

const action = "actions/setup-go";

/** setup-go's resolveVersionInput: go-version wins; else go-version-file, read inside the job. */
async function wantedSpec(run: StepRun): Promise<string> {
  const direct = run.inputs["go-version"]?.trim() ?? "";
  const file = run.inputs["go-version-file"];
  if (direct && file)
    warn(run, "Both go-version and go-version-file inputs are specified, only go-version will be used");
  if (direct || !file) return direct;
  const read = await readVersionFile(run, file).catch((error: unknown) => {
    if (!(error instanceof FileAgentRefusal && error.code === "ENOENT")) throw error;
    throw new Error(`The specified go version file at: ${file} does not exist`, { cause: error });
  });
  return readGoVersionFile(read.path, read.text, run.env["GOTOOLCHAIN"]);
}

/**
 * The dependency file setup-go keys its cache on when cache-dependency-path is not given: go.sum up to v5, go.mod
 * from v6 on (setup-go #705). A ref that names no major version gets the newest behaviour.
 */
function defaultDependencyFile(uses: string | undefined): string {
  const major = Number(uses?.match(/@v(\d+)/)?.[1]);
  return major < 6 ? "go.sum" : "go.mod";
}

/** setup-go's restoreCache: `go env GOMODCACHE` and `GOCACHE`, keyed on the Go version and the dependency files. */
async function restoreGoCache(
  run: StepRun,
  env: Record<string, string>,
  goVersion: string,
): Promise<Record<string, string>> {
  const paths = [
    await commandOutput(run, env, ["go", "env", "GOMODCACHE"]),
    await commandOutput(run, env, ["go", "env", "GOCACHE"]),
  ].filter(Boolean);
  if (paths.length === 0) throw new Error("Could not get cache folder paths.");
  const given = (run.inputs["cache-dependency-path"] ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const dependencyFile = defaultDependencyFile(run.step.uses);
  const fileHash = await run.job.hashFiles(given.length > 0 ? given : [dependencyFile]);
  if (!fileHash) {
    throw new Error(
      given.length > 0
        ? "Some specified paths were not resolved, unable to cache dependencies."
        : `Dependencies file is not found in ${run.job.dirs.workspace}. Supported file pattern: ${dependencyFile}`,
    );
  }
  const imageOs = run.env["ImageOS"] ? `${run.env["ImageOS"]}-` : "";
  const primaryKey = `setup-go-${run.env["RUNNER_OS"] ?? "Linux"}-${os.arch()}-${imageOs}go-${goVersion}-${fileHash}`;
  const { matchedKey } = await restorePackageCache(run, {
    manager: "go",
    primaryKey,
    restoreKeys: [],
    paths,
  });
  return { "cache-hit": String(Boolean(matchedKey)) };
}

export async function runSetupGo(run: StepRun): Promise<StepResult> {
  let spec: string;
  try {
    spec = await wantedSpec(run);
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  // setup-go's setGoToolchain: `go` commands use the Go set up here rather than download the one go.mod names.
  const addedEnv: Record<string, string> = { GOTOOLCHAIN: "local" };
  const arch = run.inputs["architecture"] || os.arch();
  run.onLine({ stream: "stdout", text: `Setup go version spec ${spec}` });
  const addedPath: string[] = [];
  if (spec) {
    const { cache } = run.job.tools;
    if (!cache.isSeenAt(run.job.dirs.toolCache)) {
      return useJobsOwnTool(run, {
        action,
        commands: ["go"],
        asked: `go ${spec}`,
        versionArgs: ["version"],
        versionOf: (output) => goSemver(goVersionOfOutput(output)),
        satisfies: (version) => semver.satisfies(version, spec),
        resultFor: (version) => ({ outputs: { "go-version": version }, env: addedEnv }),
      });
    }
    try {
      const setUp = await setUpGo(
        { spec, arch, checkLatest: run.inputs["check-latest"] === "true" },
        cache,
        goSourcesFor(toolSourcesForJob(run)),
        { signal: run.signal, log: (text) => run.onLine({ stream: "stdout", text }) },
      );
      const { installed } = setUp;
      run.onLine({
        stream: "stdout",
        text: setUp.from ? `Successfully cached go to ${installed.dir}` : `Found in cache @ ${installed.dir}`,
      });
      addedPath.push(path.join(installed.dir, "bin"));
      // Go versions less than 1.9 require GOROOT to be set (setup-go's words).
      if (semver.lt(installed.version, "1.9.0")) addedEnv["GOROOT"] = installed.dir;
    } catch (error) {
      return failedStepResult(`${action}: ${(error as Error).message}`);
    }
  } else {
    run.onLine({
      stream: "stdout",
      text: "[warning]go-version input was not specified. The action will try to use pre-installed version.",
    });
  }
  const env = { ...run.env, ...addedEnv, PATH: [...addedPath, run.env["PATH"] ?? ""].join(path.delimiter) };
  const outputs: Record<string, string> = {};
  try {
    // setup-go's addBinToPath: GOPATH/bin goes before Go's own bin. Go creates it on `go install`; so no mkdir here.
    const goPath = await commandOutput(run, env, ["go", "env", "GOPATH"]);
    if (goPath) addedPath.unshift(path.join(goPath.split(path.delimiter)[0]!, "bin"));
    const goVersion = await commandOutput(run, env, ["go", "version"]);
    run.onLine({ stream: "stdout", text: goVersion });
    outputs["go-version"] = goVersionOfOutput(goVersion);
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  if (run.inputs["cache"] !== "false") {
    try {
      Object.assign(outputs, await restoreGoCache(run, env, outputs["go-version"]));
    } catch (error) {
      warn(run, `Restore cache failed: ${(error as Error).message}`);
    }
  }
  return { ...emptyStepResult("success", outputs), path: addedPath, env: addedEnv };
}
