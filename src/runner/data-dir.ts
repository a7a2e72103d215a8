// Where hangar keeps its data (action store, artifacts, caches) unless told otherwise.
import os from "node:os";
import path from "node:path";

export function defaultDataDir(): string {
  const fromEnv = process.env["HANGAR_DATA_DIR"];
  if (fromEnv) return path.resolve(fromEnv);
  const dataHome = process.env["XDG_DATA_HOME"] || path.join(os.homedir(), ".local", "share");
  return path.join(dataHome, "hangar");
}
