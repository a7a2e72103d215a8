// Looking a command up on a step's PATH (not hangar's own), as the runner's WhichUtil does.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** Absolute path of an executable file, searching `pathVariable` for bare names; undefined if none. */
export function findExecutable(command: string, pathVariable: string | undefined): string | undefined {
  if (command.includes("/")) {
    const candidate = isAbsolute(command) ? command : resolve(command);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of (pathVariable ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
