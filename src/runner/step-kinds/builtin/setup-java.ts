// Built-in actions/setup-java: the JDK the step asks for from the shared tool cache (filled by the runner from this
// machine's JDKs or an Adoptium-API mirror), JAVA_HOME and JAVA_HOME_<major>_<ARCH>, and the build tool's cache.
import os from "node:os";
import path from "node:path";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import {
  javaArch,
  javaDistributionName,
  javaSatisfies,
  javaSourcesFor,
  javaVersionOfOutput,
  parseJavaSpec,
  readJavaVersionFile,
  setUpJava,
} from "../../tools/index.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";
import { restorePackageCache } from "./package-cache.js";
import { readVersionFile, toolSourcesForJob, useJobsOwnTool } from "./setup-tool.js";

const action = "actions/setup-java";

/** setup-java's supportedPackageManager: what each build tool keeps and which files key it (src/cache.ts). */
const buildTools: Record<string, { paths: string[]; patterns: string[] }> = {
  maven: {
    paths: ["~/.m2/repository"],
    patterns: ["**/pom.xml", "**/.mvn/wrapper/maven-wrapper.properties", "**/.mvn/extensions.xml"],
  },
  gradle: {
    paths: ["~/.gradle/caches"],
    patterns: [
      "**/*.gradle*",
      "**/gradle.properties",
      "**/gradle-wrapper.properties",
      "buildSrc/**/Versions.kt",
      "buildSrc/**/Dependencies.kt",
      "gradle/*.versions.toml",
      "**/versions.properties",
    ],
  },
  sbt: {
    paths: [
      "~/.ivy2/cache",
      "~/.sbt",
      "~/.cache/coursier",
      // Some files should not be cached to avoid resolution problems (setup-java's words).
      "!~/.sbt/*.lock",
      "!~/**/ivydata-*.properties",
    ],
    patterns: ["**/*.sbt", "**/project/build.properties", "**/project/**.scala", "**/project/**.sbt"],
  },
};

/** The versions asked for (java-version may list several; the last becomes the default) and the distribution. */
async function wanted(run: StepRun): Promise<{ versions: string[]; distribution: string }> {
  const versions = (run.inputs["java-version"] ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const distribution = run.inputs["distribution"] ?? "";
  const file = run.inputs["java-version-file"];
  if (versions.length === 0 && !file) throw new Error("java-version or java-version-file input expected");
  if (versions.length > 0) {
    if (!distribution) throw new Error("distribution input is required");
    return { versions, distribution };
  }
  const read = await readVersionFile(run, file);
  const found = readJavaVersionFile(read.path, read.text);
  if (!found) throw new Error(`No supported version was found in file ${file}`);
  if (found.distribution)
    run.onLine({ stream: "stdout", text: `Using distribution '${found.distribution}' from ${file}` });
  const chosen = found.distribution ?? distribution;
  if (!chosen) throw new Error("distribution input is required when not specified in the version file");
  return { versions: [found.version], distribution: chosen };
}

/** setup-java's cache restore: `setup-java-<RUNNER_OS>-<arch>-<tool>-<hashFiles>`; cache-hit only on that exact key. */
async function restoreBuildCache(run: StepRun, id: string): Promise<Record<string, string>> {
  const tool = buildTools[id];
  if (!tool) throw new Error(`unknown package manager specified: ${id}`);
  const given = (run.inputs["cache-dependency-path"] ?? "").trim();
  const patterns = given ? given.split("\n").map((line) => line.trim()) : tool.patterns;
  const fileHash = await run.job.hashFiles(patterns);
  if (!fileHash) {
    throw new Error(
      `No file in ${run.job.dirs.workspace} matched to [${patterns.join(",")}], make sure you have checked out the target repository`,
    );
  }
  const primaryKey = `setup-java-${run.env["RUNNER_OS"] ?? "Linux"}-${os.arch()}-${id}-${fileHash}`;
  const cachePaths = (run.inputs["cache-path"] ?? "").trim();
  const { matchedKey } = await restorePackageCache(run, {
    manager: id,
    primaryKey,
    restoreKeys: [],
    paths: cachePaths ? cachePaths.split("\n") : tool.paths,
  });
  return { "cache-hit": String(matchedKey === primaryKey), "cache-primary-key": primaryKey };
}

/** setup-java's setJavaEnvironment: JAVA_HOME_<major>_<ARCH> for every version, JAVA_HOME for the default. */
function javaEnvironment(version: string, arch: string, home: string): Record<string, string> {
  return { JAVA_HOME: home, [`JAVA_HOME_${version.split(".")[0]}_${arch.toUpperCase()}`]: home };
}

export async function runSetupJava(run: StepRun): Promise<StepResult> {
  let request: Awaited<ReturnType<typeof wanted>>;
  const packageType = run.inputs["java-package"] || "jdk";
  try {
    request = await wanted(run);
    javaDistributionName(request.distribution, packageType);
    if (run.inputs["cache"] && !buildTools[run.inputs["cache"]])
      throw new Error(`unknown package manager specified: ${run.inputs["cache"]}`);
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  const arch = javaArch(run.inputs["architecture"] || os.arch());
  const { cache } = run.job.tools;
  if (!cache.isSeenAt(run.job.dirs.toolCache)) {
    const spec = request.versions.at(-1)!;
    return useJobsOwnTool(run, {
      action,
      commands: ["java"],
      asked: `java ${spec}`,
      versionOf: javaVersionOfOutput,
      satisfies: (version) => javaSatisfies(parseJavaSpec(spec).range, version),
      resultFor: (version) => ({
        outputs: { distribution: javaDistributionName(request.distribution, packageType), version },
        env: {},
      }),
    });
  }
  const outputs: Record<string, string> = {};
  const addedEnv: Record<string, string> = {};
  const addedPath: string[] = [];
  for (const spec of request.versions) {
    try {
      const setUp = await setUpJava(
        {
          spec,
          arch,
          checkLatest: run.inputs["check-latest"] === "true",
          distribution: request.distribution,
          packageType,
        },
        cache,
        javaSourcesFor(toolSourcesForJob(run), packageType),
        { signal: run.signal, log: (text) => run.onLine({ stream: "stdout", text }) },
      );
      const home = setUp.installed.dir;
      run.onLine({
        stream: "stdout",
        text: setUp.from
          ? `Java ${setUp.version} was installed from ${setUp.from} into ${home}`
          : `Resolved Java ${setUp.version} from tool-cache`,
      });
      Object.assign(addedEnv, javaEnvironment(setUp.version, arch, home));
      addedPath.unshift(path.join(home, "bin"));
      Object.assign(outputs, { distribution: setUp.distribution, path: home, version: setUp.version });
    } catch (error) {
      return failedStepResult(`${action}: ${(error as Error).message}`);
    }
  }
  try {
    if (run.inputs["cache"]) Object.assign(outputs, await restoreBuildCache(run, run.inputs["cache"]));
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  return { ...emptyStepResult("success", outputs), path: addedPath, env: addedEnv };
}
