// Built-in actions/setup-node: the Node the step asks for from the shared tool cache (installed there by the runner
// when missing), the package manager's cache on the cache store, and the .npmrc that registry-url writes.
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import semver from "semver";
import { FileAgentRefusal } from "../../job-files/job-file-agent.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import { nodeSourcesFor, readNodeVersionFile, setUpNode } from "../../tools/index.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";
import { commandOutput, restorePackageCache } from "./package-cache.js";
import { findOnJobPath, installedVersion, readVersionFile, useJobsOwnTool, warn } from "./setup-tool.js";

const action = "actions/setup-node";

/** A package.json's `volta.extends` may chain; setup-node follows it without a bound, we stop at this depth. */
const maxExtends = 8;

/** setup-node's resolveVersionInput: node-version wins; else node-version-file, read inside the job. */
async function wantedSpec(run: StepRun): Promise<string | undefined> {
  const direct = run.inputs["node-version"]?.trim();
  if (direct) {
    if (run.inputs["node-version-file"])
      warn(
        run,
        "Both node-version and node-version-file inputs are specified, only node-version will be used",
      );
    return direct;
  }
  let file = run.inputs["node-version-file"];
  if (!file) return undefined;
  for (let depth = 0; depth < maxExtends; depth++) {
    const read = await readVersionFile(run, file);
    const found = readNodeVersionFile(read.text);
    if (!found) {
      warn(run, `Could not determine node version from ${file}. Falling back`);
      return undefined;
    }
    if ("spec" in found) {
      run.onLine({ stream: "stdout", text: `Resolved ${run.inputs["node-version-file"]} as ${found.spec}` });
      return found.spec;
    }
    file = path.resolve(path.dirname(read.path), found.extends);
  }
  throw new Error(`volta.extends goes deeper than ${maxExtends} files`);
}

/** setup-node's package managers: where each keeps its cache and which lock files key it (cache-utils.ts). */
const packageManagers: Record<string, { lockFiles: string[]; cacheDir: string[][] }> = {
  npm: {
    lockFiles: ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock"],
    cacheDir: [["npm", "config", "get", "cache"]],
  },
  pnpm: { lockFiles: ["pnpm-lock.yaml"], cacheDir: [["pnpm", "store", "path", "--silent"]] },
  yarn: {
    lockFiles: ["yarn.lock"],
    cacheDir: [
      ["yarn", "cache", "dir"],
      ["yarn", "config", "get", "cacheFolder"],
    ],
  },
};

/** setup-node's restoreCache: key node-cache-<RUNNER_OS>-<arch>-<manager>-<hashFiles(lock files)>; saved in a post. */
async function restoreNodePackageCache(
  run: StepRun,
  manager: string,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const info = packageManagers[manager];
  if (!info) throw new Error(`Caching for '${manager}' is not supported`);
  const isYarnBerry =
    manager === "yarn" && !(await commandOutput(run, env, ["yarn", "--version"])).startsWith("1.");
  const cacheDir = await commandOutput(run, env, info.cacheDir[isYarnBerry ? 1 : 0]!);
  const dependencyPaths = (run.inputs["cache-dependency-path"] ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  let fileHash = "";
  if (dependencyPaths.length > 0) fileHash = await run.job.hashFiles(dependencyPaths);
  else {
    for (const lockFile of info.lockFiles) {
      fileHash = await run.job.hashFiles([lockFile]);
      if (fileHash) break;
    }
    if (!fileHash) {
      throw new Error(
        `Dependencies lock file is not found in ${run.job.dirs.workspace}. Supported file patterns: ${info.lockFiles.join(",")}`,
      );
    }
  }
  if (!fileHash) throw new Error("Some specified paths were not resolved, unable to cache dependencies.");
  const primaryKey = `node-cache-${run.env["RUNNER_OS"] ?? "Linux"}-${os.arch()}-${manager}-${fileHash}`;
  const restored = await restorePackageCache(run, {
    manager,
    primaryKey,
    restoreKeys: [],
    paths: [cacheDir],
  });
  return {
    "cache-hit": String(Boolean(restored.matchedKey)),
    "cache-primary-key": primaryKey,
    "cache-matched-key": restored.matchedKey ?? "",
  };
}

/**
 * setup-node's authutil: `<registry without scheme>:_authToken=${NODE_AUTH_TOKEN}` and `[@scope:]registry=<url>`
 * appended to what the file had, minus its old registry line for that scope. (always-auth is setup-node v4's.)
 */
export function npmrcFor(options: {
  registryUrl: string;
  scope?: string;
  owner?: string;
  alwaysAuth?: boolean;
  existing?: string;
}): string {
  const registryUrl = options.registryUrl.endsWith("/") ? options.registryUrl : `${options.registryUrl}/`;
  let scope = options.scope ?? "";
  if (!scope && registryUrl.includes("npm.pkg.github.com")) scope = options.owner ?? "";
  if (scope && !scope.startsWith("@")) scope = `@${scope}`;
  if (scope) scope = `${scope.toLowerCase()}:`;
  const kept = (options.existing ?? "")
    .split("\n")
    .filter((line, index, all) => !(index === all.length - 1 && line === ""))
    .filter((line) => !line.toLowerCase().startsWith(`${scope}registry`));
  return [
    ...kept,
    `${registryUrl.replace(/(^\w+:|^)/, "")}:_authToken=\${NODE_AUTH_TOKEN}`,
    `${scope}registry=${registryUrl}`,
    ...(options.alwaysAuth ? ["always-auth=true"] : []),
  ].join("\n");
}

/** Writes RUNNER_TEMP/.npmrc through the file agent, as the job. */
async function configureRegistry(run: StepRun): Promise<Record<string, string>> {
  const { dirs } = run.job;
  const file = path.join(dirs.temp, ".npmrc");
  const existing = await run.job.files
    .call<{ content: string }>(
      { op: "read", path: file, inside: dirs.temp, maxBytes: 1024 * 1024 },
      { env: run.env, signal: run.signal },
    )
    .then(
      (read) => Buffer.from(read.content, "base64").toString("utf8"),
      (error: unknown) => {
        if (error instanceof FileAgentRefusal && error.code === "ENOENT") return "";
        throw error;
      },
    );
  const content = npmrcFor({
    registryUrl: run.inputs["registry-url"]!,
    scope: run.inputs["scope"],
    owner: run.env["GITHUB_REPOSITORY_OWNER"],
    alwaysAuth: run.inputs["always-auth"] === "true",
    existing,
  });
  await run.job.files.access({ env: run.env, signal: run.signal }).write(
    { target: dirs.temp, bases: {}, replace: false },
    (async function* () {
      yield {
        entry: { path: ".npmrc", kind: "file" as const, mode: 0o644 },
        open: () => Readable.from([Buffer.from(content)]),
      };
    })(),
  );
  // Only a NODE_AUTH_TOKEN the step was given is passed on, as setup-node does.
  return {
    NPM_CONFIG_USERCONFIG: file,
    ...(run.env["NODE_AUTH_TOKEN"] !== undefined ? { NODE_AUTH_TOKEN: run.env["NODE_AUTH_TOKEN"] } : {}),
  };
}

export async function runSetupNode(run: StepRun): Promise<StepResult> {
  let spec: string | undefined;
  try {
    spec = await wantedSpec(run);
  } catch (error) {
    return failedStepResult(
      `${action}: cannot read ${run.inputs["node-version-file"]}: ${(error as Error).message}`,
    );
  }
  const arch = run.inputs["architecture"] || os.arch();
  if (run.inputs["architecture"] && !spec) {
    warn(
      run,
      "`architecture` is provided but `node-version` is missing: the version and architecture of Node will not be changed",
    );
  }
  const outputs: Record<string, string> = {};
  const addedPath: string[] = [];
  let env = { ...run.env };
  if (spec) {
    const { cache, sources } = run.job.tools;
    if (!cache.isSeenAt(run.job.dirs.toolCache)) {
      const range = semver.validRange(spec);
      return useJobsOwnTool(run, {
        action,
        commands: ["node"],
        asked: `node ${spec}`,
        versionOf: (output) => output.split("\n")[0],
        satisfies: (version) => range !== null && semver.satisfies(version.replace(/^v/, ""), range),
        resultFor: (version) => ({ outputs: { "node-version": version } }),
      });
    }
    const mirror = run.inputs["mirror"];
    const settings = mirror ? { ...sources, nodeMirror: `${mirror.replace(/\/+$/, "")}/dist` } : sources;
    try {
      const setUp = await setUpNode(
        { spec, arch, checkLatest: run.inputs["check-latest"] === "true" },
        cache,
        nodeSourcesFor(settings),
        { signal: run.signal, log: (text) => run.onLine({ stream: "stdout", text }) },
      );
      const { installed } = setUp;
      run.onLine({
        stream: "stdout",
        text: setUp.from
          ? `Installed in the tool cache @ ${installed.dir}`
          : `Found in cache @ ${installed.dir}`,
      });
      addedPath.push(path.join(installed.dir, "bin"));
      outputs["node-version"] = `v${installed.version}`;
    } catch (error) {
      return failedStepResult(`${action}: ${(error as Error).message}`);
    }
    env = { ...env, PATH: [...addedPath, env["PATH"] ?? ""].join(path.delimiter) };
  } else {
    // Without a version the action changes nothing and reports the node the job already has.
    const node = findOnJobPath(run, "node", env["PATH"]);
    outputs["node-version"] = node ? await installedVersion(run, node).catch(() => "") : "";
  }
  let addedEnv: Record<string, string> = {};
  try {
    if (run.inputs["registry-url"]) addedEnv = await configureRegistry(run);
    const manager = run.inputs["cache"];
    if (manager) Object.assign(outputs, await restoreNodePackageCache(run, manager, env));
  } catch (error) {
    return failedStepResult(`${action}: ${(error as Error).message}`);
  }
  return { ...emptyStepResult("success", outputs), path: addedPath, env: addedEnv };
}
