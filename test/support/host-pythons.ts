// The CPythons on this host, found the way a user would list them (pyenv's versions, then pythonX.Y in /usr/bin and
// /usr/local/bin), each with the version it reports: what tests expect hangar's host source to offer.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface HostPython {
  executable: string;
  /** platform.python_version(): `3.12.1`, `3.13.0rc1`. */
  version: string;
}

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** One per version, the first place's. */
export async function findHostPythons(): Promise<HostPython[]> {
  const pyenvVersions = path.join(process.env["PYENV_ROOT"] ?? path.join(os.homedir(), ".pyenv"), "versions");
  const candidates = (await names(pyenvVersions)).map((name) =>
    path.join(pyenvVersions, name, "bin", "python"),
  );
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    for (const name of await names(dir))
      if (/^python\d+\.\d+$/.test(name)) candidates.push(path.join(dir, name));
  }
  const found: HostPython[] = [];
  for (const executable of candidates) {
    const probe = await run(executable, [
      "-c",
      "import platform; print(platform.python_implementation() + ' ' + platform.python_version())",
    ]).catch(() => undefined);
    const [implementation, version] = probe?.stdout.trim().split(" ") ?? [];
    if (implementation === "CPython" && version && !found.some((each) => each.version === version))
      found.push({ executable, version });
  }
  return found;
}

/** Whether the interpreter has a pip that knows `pip cache` (pip 20.1 and later). */
export async function hasPipCache(executable: string): Promise<boolean> {
  return run(executable, ["-m", "pip", "cache", "dir"]).then(
    () => true,
    () => false,
  );
}
