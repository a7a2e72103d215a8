// Picks Debian packages and their dependencies from the host's apt lists and downloads them; never installs on the host.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { RunnerError } from "../../runner-error.js";

const run = promisify(execFile);
const outputLimit = 256 * 1024 * 1024;

export interface DebianPackage {
  name: string;
  version: string;
  /** Path in the archive, e.g. pool/main/b/bash/bash_5.2.15-2+b7_amd64.deb. */
  filename: string;
  depends: string[][];
}

/** Runs a host tool, turning "not installed" into an error that names the Debian package to install. */
export async function runHostTool(
  command: string,
  args: string[],
  debianPackage: string,
  options: { cwd?: string } = {},
): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: options.cwd,
      maxBuffer: outputLimit,
      encoding: "utf8",
    });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === "ENOENT") {
      throw new RunnerError(
        "RUNNER_VM_IMAGE_FAILED",
        `'${command}' is not installed; install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
        { cause: error },
      );
    }
    const detail = (failure.stderr ?? "").trim().split("\n").slice(-5).join("\n");
    throw new RunnerError(
      "RUNNER_VM_IMAGE_FAILED",
      `${command} ${args.slice(0, 3).join(" ")} failed: ${detail}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Reads every version apt knows of these names and keeps the first downloadable one (apt-cache lists the newest
 * first). Versions installed from nowhere (a repacked local .deb) have no Filename and are skipped, which is why this
 * does not use `apt-cache depends`: that follows the installed candidate even when it cannot be downloaded.
 */
async function showPackages(names: string[]): Promise<Map<string, DebianPackage>> {
  const found = new Map<string, DebianPackage>();
  if (names.length === 0) return found;
  const text = await runHostTool("apt-cache", ["show", ...names], "apt");
  for (const paragraph of text.split(/\n\n+/)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of paragraph.split("\n")) {
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line}`);
      else if (line.includes(":")) {
        last = line.slice(0, line.indexOf(":"));
        fields.set(last, line.slice(line.indexOf(":") + 1).trim());
      }
    }
    const name = fields.get("Package");
    const filename = fields.get("Filename");
    if (!name || !filename || found.has(name)) continue;
    const relations = [fields.get("Pre-Depends"), fields.get("Depends")]
      .filter((v): v is string => !!v)
      .join(",");
    found.set(name, {
      name,
      version: fields.get("Version") ?? "",
      filename,
      depends: parseRelations(relations),
    });
  }
  return found;
}

/** "a (>= 1) | b:any, c" → [["a", "b"], ["c"]]; versions are not checked: one archive is consistent with itself. */
function parseRelations(text: string): string[][] {
  return text
    .split(",")
    .map((group) =>
      group
        .split("|")
        .map((alternative) => alternative.trim().split(/[\s(:[]/)[0] ?? "")
        .filter((name) => name !== ""),
    )
    .filter((group) => group.length > 0);
}

export interface Resolution {
  packages: DebianPackage[];
  /** Dependencies no downloadable package satisfies by name (virtual ones); the guest does without them. */
  unresolved: string[];
}

/** The named packages and their Depends/Pre-Depends, recursively; the first resolvable alternative wins. */
export async function resolvePackages(names: string[]): Promise<Resolution> {
  const chosen = new Map<string, DebianPackage>();
  const known = new Map<string, DebianPackage | null>();
  const unresolved = new Set<string>();
  const lookUp = async (wanted: string[]): Promise<void> => {
    const fresh = [...new Set(wanted)].filter((name) => !known.has(name));
    const found = await showPackages(fresh);
    for (const name of fresh) known.set(name, found.get(name) ?? null);
  };
  await lookUp(names);
  const missing = names.filter((name) => !known.get(name));
  if (missing.length > 0) {
    throw new RunnerError(
      "RUNNER_VM_IMAGE_FAILED",
      `no downloadable Debian package named ${missing.join(", ")} (run 'apt-get update' first if the apt lists are empty)`,
    );
  }
  let queue = names.map((name) => known.get(name) as DebianPackage);
  while (queue.length > 0) {
    const next: DebianPackage[] = [];
    for (const pkg of queue) chosen.set(pkg.name, pkg);
    const groups = queue.flatMap((pkg) => pkg.depends);
    await lookUp(groups.flat());
    for (const group of groups) {
      if (group.some((name) => chosen.has(name))) continue;
      const pick = group.map((name) => known.get(name)).find((pkg) => pkg);
      if (!pick) unresolved.add(group.join(" | "));
      else if (!next.includes(pick)) next.push(pick);
    }
    queue = next.filter((pkg) => !chosen.has(pkg.name));
  }
  return {
    packages: [...chosen.values()].sort((a, b) => a.name.localeCompare(b.name)),
    unresolved: [...unresolved],
  };
}

/** Downloads what is not in `cacheDir` yet; returns each package's .deb path, in the order given. */
export async function downloadPackages(packages: DebianPackage[], cacheDir: string): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const pathOf = (pkg: DebianPackage): string => join(cacheDir, basename(pkg.filename));
  const absent: DebianPackage[] = [];
  for (const pkg of packages) {
    if (!(await stat(pathOf(pkg)).catch(() => undefined))) absent.push(pkg);
  }
  if (absent.length > 0) {
    // apt-get names files after the version with its epoch escaped; a private dir tells which file is whose.
    const batchDir = await mkdtemp(join(cacheDir, "download-"));
    try {
      await runHostTool(
        "apt-get",
        ["download", "-q", ...absent.map((pkg) => `${pkg.name}=${pkg.version}`)],
        "apt",
        { cwd: batchDir },
      );
      const files = await readdir(batchDir);
      for (const pkg of absent) {
        const file = files.find((f) => f.startsWith(`${pkg.name}_`));
        if (!file)
          throw new RunnerError("RUNNER_VM_IMAGE_FAILED", `apt-get download left no file for ${pkg.name}`);
        await rename(join(batchDir, file), pathOf(pkg));
      }
    } finally {
      await rm(batchDir, { recursive: true, force: true });
    }
  }
  return packages.map(pathOf);
}
